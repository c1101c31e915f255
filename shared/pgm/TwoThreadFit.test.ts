// Tests for TwoThreadFit's split of a fit, with one thread playing both parts phase by phase (the
// threaded run is platform/threads/FitHelperThread.test.ts): the floats of the one-thread fit.
import { describe, expect, it } from 'vitest';
import { estimate } from './Estimation.js';
import { JunctionTree } from './JunctionTree.js';
import { MeasurementLoss } from './MeasurementLoss.js';
import { TwoThreadFit, type FitHelper } from './TwoThreadFit.js';
import { adultShapedDomain as domain, adultShapedMeasurements, sameBits } from './testing/adultShapedFit.js';

describe('TwoThreadFit (both parts on one thread)', () => {
  it('gives the one-thread mirror-descent model bit for bit, and splits the work of every phase', () => {
    const ms = adultShapedMeasurements(5);
    const parts: number[][] = [];
    const both: FitHelper = {
      attach(fit) {
        fit.playBoth((phase, t, ms) => {
          (parts[phase] ??= [0, 0])[t] += ms;
        });
        return true;
      },
    };
    const one = estimate(domain, ms, { iters: 15, method: 'mirror-descent' });
    const split = estimate(domain, ms, { iters: 15, method: 'mirror-descent', helper: both });
    expect(sameBits(split, one)).toBe(true);
    // The demo's tree: sums split by their output's first attribute (the root's children's separators).
    const demo = adultShapedMeasurements(6, 'demo');
    expect(sameBits(estimate(domain, demo, { iters: 10, method: 'mirror-descent', helper: both }), estimate(domain, demo, { iters: 10, method: 'mirror-descent' }))).toBe(true);
    // Both threads have work: neither part is empty over the whole fit.
    const sum = (t: number) => parts.reduce((a, p) => a + p[t], 0);
    expect(sum(0)).toBeGreaterThan(0);
    expect(sum(1)).toBeGreaterThan(0);
  });

  it('finishes alone, bit for bit, when the helper is ready but never runs (a loaded machine: it never waits for it)', () => {
    const ms = adultShapedMeasurements(7);
    let split: TwoThreadFit | undefined;
    const absent: FitHelper = {
      attach(fit) {
        fit.barrier.ready();
        split = fit;
        return true;
      },
    };
    const alone = estimate(domain, ms, { iters: 5, method: 'mirror-descent', helper: absent });
    expect(sameBits(alone, estimate(domain, ms, { iters: 5, method: 'mirror-descent' }))).toBe(true);
    const { parts, waits } = split!.barrier.stats();
    expect(parts[0]).toBeGreaterThan(5 * 17);
    expect(parts[1]).toBe(0);
    expect(waits[0]).toBe(0);
  });

  it('balances every kind of phase: the slower part per phase sums to at most 1.15x an even split (cells read)', () => {
    for (const fit of ['aim', 'demo'] as const) {
      const ms = adultShapedMeasurements(5, fit);
      const tree = JunctionTree.build(domain, ms.map((m) => m.attrs));
      const plan = TwoThreadFit.forTree(tree, new MeasurementLoss(tree, ms, TwoThreadFit.sharedAlloc))!.workPlan();
      const slower = plan.reduce((a, [c0, c1]) => a + Math.max(c0, c1), 0);
      const even = plan.reduce((a, [c0, c1]) => a + (c0 + c1) / 2, 0);
      // Sums into tables without the first attribute of their clique split by their own first
      // attribute (1.19x / 1.19x when one thread summed them whole).
      expect(slower / even, fit).toBeLessThanOrEqual(1.15);
    }
  });
});
