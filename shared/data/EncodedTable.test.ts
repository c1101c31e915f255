// Tests for EncodedTable (CSV parsing, errors), countMarginals (vs brute force) and splitParties.
import { describe, expect, it } from 'vitest';
import { Domain } from '../pgm/Domain.js';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { EncodedTable, allocColumn } from './EncodedTable.js';
import { countMarginals } from './countMarginals.js';
import { splitParties, parsePartySplit } from './splitParties.js';

const domain = new Domain(['a', 'b', 'c', 'y'], [3, 4, 2, 2]);

function randomTable(n: number, seed: string): EncodedTable {
  const rng = seededRandomSource(seed, 'test/table');
  const cols = domain.shape.map((s) => allocColumn(s, n));
  for (let i = 0; i < n; i++) domain.shape.forEach((s, j) => (cols[j][i] = uniformInt(rng, s)));
  return new EncodedTable(domain, cols);
}

describe('EncodedTable.fromCsv', () => {
  it('parses codes with the header in any order and round-trips through toCsv', () => {
    const t = EncodedTable.fromCsv('b,a,y,c\n3,2,1,0\n0,0,0,1\n\n', domain);
    expect(t.rowCount).toBe(2);
    expect([...t.columns[0]]).toEqual([2, 0]);
    expect([...t.columns[1]]).toEqual([3, 0]);
    expect(EncodedTable.fromCsv(t.toCsv(), domain).toCsv()).toBe(t.toCsv());
  });
  it('names line and column in errors', () => {
    expect(() => EncodedTable.fromCsv('a,b,c,y\n0,0,0,0\n0,4,0,0\n', domain)).toThrow(/line 3, column "b"/);
    expect(() => EncodedTable.fromCsv('a,b,c,y\n0,x,0,0\n', domain)).toThrow(/line 2, column "b"/);
    expect(() => EncodedTable.fromCsv('a,b,c,y\n0,0,0\n', domain)).toThrow(/line 2: 3 fields/);
    expect(() => EncodedTable.fromCsv('a,b,c\n0,0,0\n', domain)).toThrow(/"y" missing/);
    expect(() => EncodedTable.fromCsv('a,b,c,z\n', domain)).toThrow(/"z" is not in the domain/);
  });
});

describe('countMarginals', () => {
  it('matches brute-force counting, first attribute slowest', () => {
    const t = randomTable(500, 's1');
    const sets = [[], ['a'], ['b', 'y'], ['a', 'b', 'c'], ['a', 'b', 'c', 'y']];
    const got = countMarginals(t, domain, sets);
    sets.forEach((attrs, k) => {
      const exp = new Float64Array(domain.size(attrs));
      for (let i = 0; i < t.rowCount; i++) {
        let idx = 0;
        for (const a of attrs) idx = idx * domain.sizeOf(a) + t.columns[domain.indexOf(a)][i];
        exp[idx]++;
      }
      expect([...got[k]]).toEqual([...exp]);
    });
  });
  it('rejects attribute sets not in domain order', () => {
    expect(() => countMarginals(randomTable(5, 's'), domain, [['b', 'a']])).toThrow(/domain order/);
  });
});

describe('splitParties', () => {
  const t = randomTable(400, 's2');
  for (const spec of ['random', 'column:b', 'dirichlet:0.1', 'dirichlet:0.5', 'dirichlet:0.5:b']) {
    it(`${spec}: a partition into non-empty parties, deterministic`, () => {
      const parts = splitParties(t, 10, parsePartySplit(spec), seededRandomSource('x', 'split'));
      expect(parts.every((p) => p.rowCount > 0)).toBe(true);
      expect(parts.reduce((s, p) => s + p.rowCount, 0)).toBe(400);
      const total = countMarginals(t, domain, [['a', 'b', 'c', 'y']])[0];
      const sum = new Float64Array(total.length);
      for (const p of parts) countMarginals(p, domain, [['a', 'b', 'c', 'y']])[0].forEach((v, i) => (sum[i] += v));
      expect([...sum]).toEqual([...total]);
      const again = splitParties(t, 10, parsePartySplit(spec), seededRandomSource('x', 'split'));
      expect(again.map((p) => p.rowCount)).toEqual(parts.map((p) => p.rowCount));
    });
  }
  it('parses dirichlet:ALPHA:COLUMN as skew on that column and rejects malformed forms', () => {
    expect(parsePartySplit('dirichlet:0.5:education-num')).toEqual({ dirichlet: 0.5, column: 'education-num' });
    expect(parsePartySplit('dirichlet:0.5')).toEqual({ dirichlet: 0.5 });
    for (const bad of ['dirichlet:', 'dirichlet:0.5:', 'dirichlet:x:b', 'dirichlet:0:b', 'column:']) expect(() => parsePartySplit(bad)).toThrow(/split must be/);
    expect(() => splitParties(t, 3, parsePartySplit('dirichlet:0.5:nope'), seededRandomSource('x', 'split'))).toThrow(/unknown column nope/);
  });
  it('column split keeps each value at one party; tiny tables still give non-empty parties', () => {
    const parts = splitParties(t, 3, { column: 'a' }, seededRandomSource('x', 'split'));
    for (let v = 0; v < 3; v++) expect(parts.filter((p) => p.columns[0].includes(v)).length).toBe(1);
    const tiny = splitParties(randomTable(5, 's3'), 5, { dirichlet: 0.01 }, seededRandomSource('x', 'split'));
    expect(tiny.map((p) => p.rowCount)).toEqual([1, 1, 1, 1, 1]);
    expect(() => splitParties(randomTable(3, 's3'), 5, 'random', seededRandomSource('x', 'split'))).toThrow(/non-empty/);
  });
});
