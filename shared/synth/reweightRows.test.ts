// Tests for reweightRows / resampleRows: the weighted rows' marginals move toward the measured
// ones, weights depend on the measured cells only, resampling keeps each row's share.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import type { Measurement } from '../pgm/Measurement.js';
import { dependentTable } from '../../test/support/testOracle.js';
import { reweightRows, resampleRows } from './reweightRows.js';

const table = dependentTable(2000, 'reweight');
const domain = table.domain;

function counts(cols: readonly ArrayLike<number>[], attrs: readonly string[], weights?: ArrayLike<number>): Float64Array {
  const idx = attrs.map((a) => domain.indexOf(a));
  const out = new Float64Array(domain.size(attrs));
  for (let r = 0; r < cols[0].length; r++) {
    let o = 0;
    for (const j of idx) o = o * domain.shape[j] + cols[j][r];
    out[o] += weights ? weights[r] : 1;
  }
  return out;
}

function l1(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.abs(a[k] - b[k]);
  return s;
}

function uniformRows(n: number, seed: string): Int32Array[] {
  const rng = seededRandomSource(seed, 'test/uniform');
  return domain.shape.map((s) => Int32Array.from({ length: n }, () => uniformInt(rng, s)));
}

const sets = [['a'], ['b'], ['c'], ['a', 'b'], ['a', 'c', 'd']];
const exact: Measurement[] = sets.map((attrs) => ({ attrs, values: counts(table.columns, attrs), stddev: 1 }));

describe('reweightRows', () => {
  it('moves the weighted marginals toward the measured ones; weights sum to the total', () => {
    const pool = uniformRows(8000, 'a');
    const res = reweightRows(domain, pool, exact, { total: 2000, iters: 100 });
    expect(res.lossAfter).toBeLessThan(res.lossBefore / 20);
    expect(res.weights.reduce((x, y) => x + y, 0)).toBeCloseTo(2000, 6);
    const uniform = new Float64Array(8000).fill(2000 / 8000);
    sets.forEach((s, k) => expect(l1(counts(pool, s, res.weights), exact[k].values)).toBeLessThan(l1(counts(pool, s, uniform), exact[k].values) / 4));
    // Resampled rows keep it: b = a in ~93% of the measured table, 1/3 in the uniform pool.
    const rows = resampleRows(pool, res.weights, 2000, seededRandomSource('t', 'resample'));
    let same = 0;
    for (let r = 0; r < 2000; r++) if (rows[0][r] === rows[1][r]) same++;
    expect(same / 2000).toBeGreaterThan(0.85);
  });

  it('gives rows that agree on every measured set the same weight (a tilt by the measured cells)', () => {
    const pool = uniformRows(3000, 'b');
    // Rows 2k and 2k+1 differ only in column e, which no measurement holds.
    for (let r = 1; r < 3000; r += 2) for (let j = 0; j < 4; j++) pool[j][r] = pool[j][r - 1];
    const res = reweightRows(domain, pool, exact, { total: 2000, iters: 50 });
    let differ = 0;
    for (let r = 1; r < 3000; r += 2) if (Math.abs(res.weights[r] - res.weights[r - 1]) > 1e-9 * res.weights[r]) differ++;
    expect(differ).toBe(0);
    expect(Math.max(...res.weights) / Math.min(...res.weights)).toBeGreaterThan(2);
  });

  it('keeps the effective sample size above minEffectiveRows', () => {
    const pool = uniformRows(8000, 'f');
    const free = reweightRows(domain, pool, exact, { total: 2000, iters: 100 });
    const held = reweightRows(domain, pool, exact, { total: 2000, iters: 100, minEffectiveRows: 6000 });
    // Without the floor the tilt toward b = a leaves well under 6,000 effective rows of 8,000.
    expect(free.effectiveRows).toBeLessThan(5000);
    expect(held.effectiveRows).toBeGreaterThanOrEqual(6000);
    expect(held.lossAfter).toBeLessThan(held.lossBefore);
    expect(held.lossAfter).toBeGreaterThan(free.lossAfter);
  });

  it('keeps uniform weights without measurements', () => {
    const res = reweightRows(domain, uniformRows(100, 'c'), [], { total: 50 });
    expect([...res.weights]).toEqual(new Array(100).fill(0.5));
  });
});

describe('resampleRows', () => {
  it('draws each row floor or ceil of count · w / Σw times', () => {
    const cols = [Int32Array.from([0, 1, 2, 3])];
    const w = new Float64Array([0.1, 0.4, 0.25, 0.25]);
    for (const seed of ['1', '2', '3']) {
      const out = resampleRows(cols, w, 20, seededRandomSource(seed, 'resample'));
      const got = [0, 1, 2, 3].map((v) => out[0].filter((x) => x === v).length);
      got.forEach((c, k) => expect(Math.abs(c - 20 * w[k])).toBeLessThan(1));
    }
  });
});
