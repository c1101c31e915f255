// HashGroups and IdHashTable against the Map and Set they replace: the same groups with the same
// members in the same order, ids found only for equal keys (forced hash collisions), and growth.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { makeCodeTable } from './CodeTable.js';
import { findGroup, groupByHash } from './HashGroups.js';
import { IdHashTable } from './IdHashTable.js';
import { distinctRows } from './risk/distinctRows.js';

describe('groupByHash', () => {
  it('gives the groups of a Map<hash, id[]> built in id order (negative, positive and colliding hashes)', () => {
    const rng = seededRandomSource('hash-groups', 'values');
    // Few distinct values (many collisions), spread over the whole int32 range, and 0 / -1 / extremes.
    const pool = Array.from({ length: 40 }, () => (uniformInt(rng, 2 ** 31) * 2 - 2 ** 31) | 0).concat([0, -1, 2 ** 31 - 1, -(2 ** 31), 65_535, 65_536]);
    const hash = Int32Array.from({ length: 5000 }, () => pool[uniformInt(rng, pool.length)]);
    const map = new Map<number, number[]>();
    hash.forEach((h, i) => (map.get(h) ?? map.set(h, []).get(h)!).push(i));
    const g = groupByHash(hash);
    expect(g.hashes.length).toBe(map.size);
    expect(g.start[g.hashes.length]).toBe(hash.length);
    for (const [h, ids] of map) {
      const k = findGroup(g, h);
      expect(k).toBeGreaterThanOrEqual(0);
      expect([...g.members.subarray(g.start[k], g.start[k + 1])]).toEqual(ids);
    }
    for (const absent of [1, 2, 3, -2]) if (!map.has(absent)) expect(findGroup(g, absent)).toBe(-1);
    expect(findGroup(groupByHash(new Int32Array(0)), 5)).toBe(-1);
  });
});

describe('IdHashTable', () => {
  it('finds an id only for its own key when every key has the same hash, across growth', () => {
    const keys = Array.from({ length: 300 }, (_, i) => i * 7);
    const t = new IdHashTable(2);
    for (let id = 0; id < keys.length; id++) {
      expect(t.find(42, (other) => keys[other] === keys[id])).toBe(-1);
      t.add(42, id);
    }
    expect(t.size).toBe(300);
    for (let id = 0; id < keys.length; id++) expect(t.find(42, (other) => keys[other] === keys[id])).toBe(id);
    expect(t.find(43, () => true)).toBe(-1);
  });
});

describe('distinctRows', () => {
  it('keeps the first occurrence of each row in order, as the string-keyed Set did', () => {
    const rng = seededRandomSource('hash-groups', 'rows');
    const data = [2, 3, 2, 2].map((size) => Int32Array.from({ length: 400 }, () => uniformInt(rng, size)));
    const t = makeCodeTable(['a', 'b', 'c', 'd'], [2, 3, 2, 2], data);
    const seen = new Set<string>();
    const keep: number[] = [];
    for (let r = 0; r < t.rows; r++) {
      const k = data.map((c) => c[r]).join(',');
      if (!seen.has(k)) (seen.add(k), keep.push(r));
    }
    const d = distinctRows(t);
    expect(d.rows).toBe(keep.length);
    expect(keep.length).toBeLessThan(25);
    for (let c = 0; c < 4; c++) expect([...d.data[c]]).toEqual(keep.map((r) => data[c][r]));
  });
});
