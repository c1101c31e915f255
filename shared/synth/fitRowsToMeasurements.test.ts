// Tests for fitRowsToMeasurements: the rows' marginals move toward the measured ones, the loss
// never rises, columns no measurement holds are untouched, targets scale with the noisy total.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import type { Measurement } from '../pgm/Measurement.js';
import { dependentTable } from '../../test/support/testOracle.js';
import { fitRowsToMeasurements } from './fitRowsToMeasurements.js';

const table = dependentTable(2000, 'rowfit');
const domain = table.domain;

/** Counts of `cols` over `attrs` in the measurement cell order (first attribute slowest). */
function counts(cols: readonly ArrayLike<number>[], attrs: readonly string[]): Float64Array {
  const idx = attrs.map((a) => domain.indexOf(a));
  const out = new Float64Array(domain.size(attrs));
  for (let r = 0; r < cols[0].length; r++) {
    let o = 0;
    for (const j of idx) o = o * domain.shape[j] + cols[j][r];
    out[o]++;
  }
  return out;
}

function l1(a: Float64Array, b: Float64Array, scale = 1): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.abs(a[k] - b[k] * scale);
  return s;
}

/** Rows with every column drawn uniformly (no dependence at all). */
function uniformRows(n: number, seed: string): Int32Array[] {
  const rng = seededRandomSource(seed, 'test/uniform');
  return domain.shape.map((s) => Int32Array.from({ length: n }, () => uniformInt(rng, s)));
}

const sets = [['a'], ['b'], ['c'], ['d'], ['a', 'b'], ['a', 'c', 'd']];
const exact: Measurement[] = sets.map((attrs) => ({ attrs, values: counts(table.columns, attrs), stddev: 1 }));

describe('fitRowsToMeasurements', () => {
  it('moves the rows\' marginals toward the measured ones and never raises the loss', () => {
    const rows = uniformRows(2000, 'a');
    const before = sets.map((s, k) => l1(counts(rows, s), exact[k].values));
    const res = fitRowsToMeasurements(domain, rows, exact, { total: 2000, rng: seededRandomSource('t', 'fit'), sweeps: 6 });
    expect(res.lossAfter).toBeLessThan(res.lossBefore);
    expect(res.moves).toBeGreaterThan(0);
    sets.forEach((s, k) => {
      const after = l1(counts(rows, s), exact[k].values);
      // Deterministic (seeded order): every measured set is at least 10x closer than the
      // uniform start (which is ~1,000-2,000 counts off on the pairs and the triple).
      expect(after).toBeLessThanOrEqual(before[k] / 10);
    });
    // The planted dependences the measurements carry appear in the rows: b = a in ~93% of rows.
    let same = 0;
    for (let r = 0; r < 2000; r++) if (rows[0][r] === rows[1][r]) same++;
    expect(same / 2000).toBeGreaterThan(0.85);
  });

  it('never changes a column no measurement holds, and leaves rows alone without measurements', () => {
    const rows = uniformRows(500, 'b');
    const e = Int32Array.from(rows[4]);
    fitRowsToMeasurements(domain, rows, exact, { total: 2000, rng: seededRandomSource('t', 'fit'), sweeps: 2 });
    expect([...rows[4]]).toEqual([...e]);
    const copy = rows.map((c) => Int32Array.from(c));
    const res = fitRowsToMeasurements(domain, rows, [], { total: 500, rng: seededRandomSource('t', 'fit') });
    expect(res.moves).toBe(0);
    expect(rows.map((c) => [...c])).toEqual(copy.map((c) => [...c]));
  });

  it('scales the targets by rows / total: 500 rows fit a quarter of the measured counts', () => {
    const rows = uniformRows(500, 'c');
    const oneWay = exact.slice(0, 4);
    fitRowsToMeasurements(domain, rows, oneWay, { total: 2000, rng: seededRandomSource('t', 'fit'), sweeps: 4 });
    // Each 1-way reaches the scaled target up to rounding (at most one count per cell).
    oneWay.forEach((m) => expect(l1(counts(rows, m.attrs), m.values, 0.25)).toBeLessThanOrEqual(m.values.length));
  });

  it('weights measurements by 1/stddev²: a precise one wins over a contradicting noisy one', () => {
    const rows = uniformRows(1000, 'd');
    const target = new Float64Array([1000, 0, 0]);
    const other = new Float64Array([0, 0, 1000]);
    fitRowsToMeasurements(domain, rows, [{ attrs: ['a'], values: target, stddev: 1 }, { attrs: ['a'], values: other, stddev: 10 }], { total: 1000, rng: seededRandomSource('t', 'fit') });
    const got = counts(rows, ['a']);
    // Weighted least squares: (100·target + other) / 101 ≈ [990, 0, 10].
    expect(Math.abs(got[0] - 990)).toBeLessThanOrEqual(1);
    expect(Math.abs(got[2] - 10)).toBeLessThanOrEqual(1);
  });

  it('rejects a measurement with the wrong number of cells', () => {
    expect(() => fitRowsToMeasurements(domain, uniformRows(10, 'e'), [{ attrs: ['a', 'b'], values: new Float64Array(3), stddev: 1 }], { total: 10, rng: seededRandomSource('t', 'fit') })).toThrow(/cells/);
  });
});
