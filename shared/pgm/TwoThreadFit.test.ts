// Tests for TwoThreadFit's split of a fit, with one thread playing both parts phase by phase (the
// threaded run is platform/threads/FitHelperThread.test.ts): the floats of the one-thread fit.
import { describe, expect, it } from 'vitest';
import { estimate } from './Estimation.js';
import type { FitHelper } from './TwoThreadFit.js';
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
    // Both threads have work: neither part is empty over the whole fit.
    const sum = (t: number) => parts.reduce((a, p) => a + p[t], 0);
    expect(sum(0)).toBeGreaterThan(0);
    expect(sum(1)).toBeGreaterThan(0);
  });
});
