// Tests for estimate(): recovery of exact marginals from noiseless measurements (tree, cyclic,
// repeated and subset measurements, 1-way only), total estimation, and warm start.
import { describe, expect, it } from 'vitest';
import { estimate, estimateTotal } from './Estimation.js';
import type { Measurement } from './Measurement.js';
import { bruteJoint, bruteMarginal, maxRelErr } from './testing/bruteForce.js';
import { randomPotentials, smallDomain as d } from './testing/cliqueSets.js';

const TOTAL = 1000;

function truth(cliques: string[][], seed: number): Float64Array {
  return bruteJoint(d, randomPotentials(d, cliques, seed).factors, TOTAL);
}

function measure(joint: Float64Array, attrSets: string[][], stddev = 1): Measurement[] {
  return attrSets.map((a) => ({ attrs: d.canonical(a), values: bruteMarginal(d, joint, d.canonical(a)), stddev }));
}

function expectRecovered(joint: Float64Array, ms: readonly Measurement[], iters: number, opts: { total?: number } = {}): void {
  const model = estimate(d, ms, { iters, ...opts });
  for (const m of ms) expect(maxRelErr(model.project(m.attrs), bruteMarginal(d, joint, m.attrs), 1e-3)).toBeLessThan(1e-6);
  // The fitted distribution is the truth itself when the truth is representable.
  expect(maxRelErr(model.project(d.attrs), joint, 1e-3)).toBeLessThan(1e-5);
}

describe('estimate', () => {
  it('recovers a tree-structured distribution from its noiseless 2-way marginals', () => {
    const cl = [['a', 'b'], ['b', 'c'], ['c', 'd'], ['e']];
    expectRecovered(truth(cl, 1), measure(truth(cl, 1), cl), 3000, { total: TOTAL });
  });

  it('recovers a cyclic (triangle + 4-cycle) distribution, total estimated from the data', () => {
    const cl = [['a', 'b'], ['b', 'c'], ['a', 'c'], ['c', 'd'], ['d', 'e'], ['c', 'e']];
    const j = truth([['a', 'b', 'c'], ['c', 'd', 'e']], 2);
    expectRecovered(j, measure(j, [['a', 'b', 'c'], ['c', 'd', 'e'], ...cl]), 3000);
  });

  it('handles repeated measurements with different noise levels and subset measurements', () => {
    const cl = [['a', 'b'], ['b', 'c', 'd']];
    const j = truth(cl, 3);
    const ms = [...measure(j, cl, 2), ...measure(j, cl, 0.5), ...measure(j, [['b'], ['c', 'd'], ['a']], 1), ...measure(j, [['e']], 3)];
    expectRecovered(j, ms, 3000);
  });

  it('1-way measurements only give the independence model', () => {
    const cl = [['a'], ['b'], ['c'], ['d'], ['e']];
    const j = truth(cl, 4);
    expectRecovered(j, measure(j, cl), 2000, { total: TOTAL });
  });

  it('estimates the total by inverse-variance weighting', () => {
    const ms: Measurement[] = [
      { attrs: ['a'], values: Float64Array.from([50, 50]), stddev: 1 },
      { attrs: ['b'], values: Float64Array.from([70, 70, 70]), stddev: 1 },
    ];
    // variances 2 and 3: (100/2 + 210/3) / (1/2 + 1/3) = 144
    expect(estimateTotal(d, ms)).toBeCloseTo(144, 10);
  });

  it('warm start from a previous model reaches a lower loss in few iterations', () => {
    const cl = [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e']];
    const j = truth(cl, 5);
    const first = measure(j, cl.slice(0, 3));
    const prev = estimate(d, first, { iters: 500, total: TOTAL });
    const all = measure(j, cl);
    let coldLoss = 0;
    let warmLoss = 0;
    estimate(d, all, { iters: 20, total: TOTAL, callback: (_t, l) => void (coldLoss = l) });
    estimate(d, all, { iters: 20, total: TOTAL, warmStart: prev, callback: (_t, l) => void (warmLoss = l) });
    expect(warmLoss).toBeLessThan(coldLoss);
    // Warm start also works when the old cliques are not contained in the new tree.
    const other = estimate(d, measure(j, [['a', 'e']]), { iters: 20, total: TOTAL, warmStart: prev });
    expect(other.project(['a', 'e']).reduce((s, x) => s + x, 0)).toBeCloseTo(TOTAL, 6);
  });

  it('mirror descent (Private-PGM Algorithm 1) still recovers the cyclic case', () => {
    const cl = [['a', 'b'], ['b', 'c'], ['a', 'c'], ['c', 'd'], ['d', 'e'], ['c', 'e']];
    const j = truth([['a', 'b', 'c'], ['c', 'd', 'e']], 2);
    const ms = measure(j, [['a', 'b', 'c'], ['c', 'd', 'e'], ...cl]);
    const model = estimate(d, ms, { iters: 3000, method: 'mirror-descent' });
    for (const m of ms) expect(maxRelErr(model.project(m.attrs), bruteMarginal(d, j, m.attrs), 1e-3)).toBeLessThan(1e-6);
  });

  it('the accelerated method reaches a lower loss than mirror descent at equal iterations (noisy, inconsistent data)', () => {
    const cl = [['a', 'b'], ['b', 'c'], ['a', 'c'], ['c', 'd'], ['d', 'e'], ['a', 'e']];
    const j = truth([['a', 'b', 'c'], ['c', 'd', 'e'], ['a', 'e']], 7);
    // Deterministic "noise": each cell off by up to ±15 counts, so no model fits exactly.
    const ms = measure(j, cl).map((m, i) => ({ ...m, values: m.values.map((v, k) => v + 15 * Math.sin(7 * i + 3 * k)) }));
    const lossAt = (method: 'accelerated' | 'mirror-descent', iters: number): number => {
      let loss = 0;
      estimate(d, ms, { iters, total: TOTAL, method, callback: (_t, l) => void (loss = l) });
      return loss;
    };
    const best = lossAt('accelerated', 3000);
    // Excess loss over the (near-)optimum after 60 iterations.
    expect(lossAt('accelerated', 60) - best).toBeLessThan(0.5 * (lossAt('mirror-descent', 60) - best));
  });

  it('rejects invalid measurements', () => {
    expect(() => estimate(d, [{ attrs: ['b', 'a'], values: new Float64Array(6), stddev: 1 }])).toThrow();
    expect(() => estimate(d, [{ attrs: ['a'], values: new Float64Array(3), stddev: 1 }])).toThrow();
    expect(() => estimate(d, [{ attrs: ['a'], values: new Float64Array(2), stddev: 0 }])).toThrow();
  });
});
