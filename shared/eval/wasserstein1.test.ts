// Known-answer tests of the range-normalized 1-D Wasserstein distance (hand-computed vectors, the
// sorted-pairs formula for equal sizes as brute force) and of its per-column use under a schema.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat } from '../dp/random/uniform.js';
import { parseSchema } from '../schema/ConsortiumSchema.js';
import { ErrorCode } from '../errors/FedsynthError.js';
import { wasserstein1 } from './wasserstein1.js';
import { continuousWasserstein } from './continuousWasserstein.js';

describe('wasserstein1', () => {
  it('equals hand-computed distances (unequal sizes, ties, unsorted input), divided by the range', () => {
    expect(wasserstein1([0], [1], 1)).toBe(1);
    expect(wasserstein1([0], [1], 4)).toBe(0.25);
    expect(wasserstein1([1, 0], [0, 1], 1)).toBe(0);
    // F_a = 2/3 and F_b = 1/3 on [0, 1): 1/3.
    expect(wasserstein1([0, 0, 1], [1, 0, 1], 1)).toBeCloseTo(1 / 3, 15);
    // Half of a's mass moves 1 left, half 1 right: 1 (sizes 2 and 1).
    expect(wasserstein1([2, 0], [1], 1)).toBe(1);
    // A shift by 1 of every value: 1, whatever the sizes.
    expect(wasserstein1([3, 1, 2], [2, 3, 4], 10)).toBeCloseTo(0.1, 15);
    // a = {0, 0, 0, 10}, b = {0, 10}: F_a - F_b = 3/4 - 1/2 on [0, 10): 2.5.
    expect(wasserstein1([0, 10, 0, 0], [10, 0], 100)).toBeCloseTo(0.025, 15);
  });

  it('equals the mean |a_(i) - b_(i)| of the sorted samples for equal sizes, symmetric, shift invariant', () => {
    const rng = seededRandomSource('wasserstein1-test', 'vectors');
    for (let trial = 0; trial < 20; trial++) {
      const n = 1 + Math.floor(uniformFloat(rng) * 60);
      // Integers (many ties) on odd trials, floats on even ones.
      const draw = (): number => (trial % 2 ? Math.floor(uniformFloat(rng) * 8) : uniformFloat(rng) * 5 - 2);
      const a = Array.from({ length: n }, draw);
      const b = Array.from({ length: n }, draw);
      const sa = [...a].sort((x, y) => x - y);
      const sb = [...b].sort((x, y) => x - y);
      const brute = sa.reduce((s, x, i) => s + Math.abs(x - sb[i]), 0) / n;
      expect(wasserstein1(a, b, 3)).toBeCloseTo(brute / 3, 12);
      expect(wasserstein1(b, a, 3)).toBeCloseTo(brute / 3, 12);
      expect(wasserstein1(a.map((x) => x + 7), b.map((x) => x + 7), 3)).toBeCloseTo(brute / 3, 12);
    }
  });

  it('rejects an empty sample, a non-finite value and a range that is not positive and finite', () => {
    const code = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => wasserstein1([], [1], 1))).toBe(ErrorCode.InvalidArgument);
    expect(code(() => wasserstein1([1], [Number.NaN], 1))).toBe(ErrorCode.InvalidArgument);
    expect(code(() => wasserstein1([1], [Number.POSITIVE_INFINITY], 1))).toBe(ErrorCode.InvalidArgument);
    for (const range of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(code(() => wasserstein1([1], [2], range))).toBe(ErrorCode.InvalidArgument);
  });
});

describe('continuousWasserstein', () => {
  const schema = parseSchema({
    version: 1,
    columns: [
      { name: 'age', type: 'integer', edges: [0, 50, 100] },
      { name: 'sex', type: 'categorical', categories: ['F', 'M'] },
      { name: 'years', type: 'integer', min: 0, max: 5 },
      { name: 'amount', type: 'numeric', edges: [-10, 0, 10] },
    ],
  });

  it('scores every column with public edges over its values (NaN cells skipped), normalized by [e_0, e_m]', () => {
    const real = [Float64Array.of(10, 20, Number.NaN), null, null, Float64Array.of(-10, 10, 0)];
    const synth = [Float64Array.of(30, 20), null, null, Float64Array.of(Number.NaN, Number.NaN, Number.NaN)];
    expect(continuousWasserstein(schema, real, synth)).toEqual([
      // {10, 20} against {30, 20}: 20 / 2 = 10 over the range 100.
      { column: 'age', distance: 0.1, low: 0, high: 100, realValues: 2, syntheticValues: 2 },
      { column: 'amount', distance: null, low: -10, high: 10, realValues: 3, syntheticValues: 0 },
    ]);
  });

  it('needs one value column per schema column, with values for each continuous column', () => {
    expect(() => continuousWasserstein(schema, [null], [null])).toThrow(/value columns/);
    expect(() => continuousWasserstein(schema, [null, null, null, null], [null, null, null, null])).toThrow(/no values for continuous column age/);
  });
});
