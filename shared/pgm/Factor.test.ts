// Tests for Factor: log-space and linear algebra checked against cell-by-cell brute force.
import { describe, expect, it } from 'vitest';
import { Domain } from './Domain.js';
import { Factor } from './Factor.js';
import { testValues } from './testing/bruteForce.js';

const d = Domain.fromJson({ a: 2, b: 3, c: 4, d: 2 });
const sa = 2;
const sb = 3;
const sc = 4;
const sd = 2;

describe('Factor', () => {
  const fab = new Factor(d, ['a', 'b'], testValues(6, 1));
  const fbc = new Factor(d, ['b', 'c'], testValues(12, 2));
  const fabc = new Factor(d, ['a', 'b', 'c'], testValues(24, 3));

  it('add/sub expand to the union (row-major, first attribute slowest)', () => {
    const s = fab.add(fbc);
    const t = fbc.sub(fab);
    expect(s.attrs).toEqual(['a', 'b', 'c']);
    expect(t.attrs).toEqual(['a', 'b', 'c']);
    for (let a = 0; a < sa; a++)
      for (let b = 0; b < sb; b++)
        for (let c = 0; c < sc; c++) {
          const k = (a * sb + b) * sc + c;
          expect(s.values[k]).toBeCloseTo(fab.values[a * sb + b] + fbc.values[b * sc + c], 14);
          expect(t.values[k]).toBeCloseTo(fbc.values[b * sc + c] - fab.values[a * sb + b], 14);
        }
  });

  it('expand repeats values along new axes', () => {
    const e = fbc.expand(['d', 'c', 'b']);
    expect(e.attrs).toEqual(['b', 'c', 'd']);
    for (let b = 0; b < sb; b++) for (let c = 0; c < sc; c++) for (let x = 0; x < sd; x++) expect(e.values[(b * sc + c) * sd + x]).toBe(fbc.values[b * sc + c]);
  });

  it('project sums and logsumexp marginalises in log space', () => {
    const p = fabc.project(['c', 'a']);
    const l = fabc.logsumexp(['a', 'c']);
    for (let a = 0; a < sa; a++)
      for (let c = 0; c < sc; c++) {
        let s = 0;
        let e = 0;
        for (let b = 0; b < sb; b++) {
          s += fabc.values[(a * sb + b) * sc + c];
          e += Math.exp(fabc.values[(a * sb + b) * sc + c]);
        }
        expect(p.values[a * sc + c]).toBeCloseTo(s, 12);
        expect(l.values[a * sc + c]).toBeCloseTo(Math.log(e), 12);
      }
    expect(fabc.logsumexp().values[0]).toBeCloseTo(Math.log(fabc.exp().sum()), 12);
  });

  it('logsumexp is stable for large magnitudes', () => {
    const big = new Factor(d, ['a'], Float64Array.from([1000, 1000]));
    expect(big.logsumexp().values[0]).toBeCloseTo(1000 + Math.log(2), 10);
    const small = new Factor(d, ['a'], Float64Array.from([-1000, -1000]));
    expect(small.logsumexp().values[0]).toBeCloseTo(-1000 + Math.log(2), 10);
  });

  it('exp, normalize, mul, scale', () => {
    const e = fab.exp();
    expect(e.normalize(10).sum()).toBeCloseTo(10, 12);
    expect(fab.normalize(5, true).exp().sum()).toBeCloseTo(5, 12);
    const m = fab.mul(fbc);
    expect(m.values[(1 * sb + 2) * sc + 3]).toBeCloseTo(fab.values[1 * sb + 2] * fbc.values[2 * sc + 3], 14);
    expect(fab.scale(2).values[4]).toBeCloseTo(2 * fab.values[4], 14);
  });

  it('rejects non-canonical attrs, wrong lengths and non-subsets', () => {
    expect(() => new Factor(d, ['b', 'a'])).toThrow();
    expect(() => new Factor(d, ['a'], new Float64Array(3))).toThrow();
    expect(() => fab.project(['c'])).toThrow();
  });
});
