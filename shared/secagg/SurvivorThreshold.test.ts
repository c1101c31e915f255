// Tests of SurvivorThreshold: t >= n - d (the noise plan's honest shares) and 2t - n > f (one signed
// survivor set per contribution), each refusal shown with a planted threshold one below the minimum.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/FedsynthError.js';
import { assertSurvivorThreshold, minSurvivorThreshold, survivorThresholdShortfall } from './SurvivorThreshold.js';

describe('SurvivorThreshold', () => {
  it('the plan: t >= n - d, in masking and HE', () => {
    const risk = { parties: 10, colluders: 1, dropouts: 2 };
    expect(minSurvivorThreshold(risk, 'he')).toBe(8);
    expect(minSurvivorThreshold(risk, 'masking')).toBe(8); // quorum floor(11/2) + 1 = 6 < 8
    expect(survivorThresholdShortfall({ ...risk, threshold: 8 }, 'he')).toBeUndefined();
    expect(survivorThresholdShortfall({ ...risk, threshold: 8 }, 'masking')).toBeUndefined();
    // Planted: t = 7 would release sums with 7 - 1 = 6 honest shares; the plan assumes 7.
    expect(survivorThresholdShortfall({ ...risk, threshold: 7 }, 'he')).toMatch(/below n - d = 8.*n - f - d = 7 honest noise shares/);
    expect(survivorThresholdShortfall({ ...risk, threshold: 7 }, 'masking')).toMatch(/below n - d = 8/);
    // Today's coordinator-side floor of 2 is refused.
    expect(survivorThresholdShortfall({ ...risk, threshold: 2 }, 'masking')).toBeDefined();
  });

  it('masking: 2t - n > f so that two survivor sets never both gather t signatures', () => {
    // n = 4, d = 2, f = 0: the plan allows t = 2, but two disjoint pairs could each sign a set.
    expect(minSurvivorThreshold({ parties: 4, colluders: 0, dropouts: 2 }, 'masking')).toBe(3);
    expect(survivorThresholdShortfall({ parties: 4, threshold: 2, colluders: 0, dropouts: 2 }, 'masking')).toMatch(/2t - n > f/);
    expect(survivorThresholdShortfall({ parties: 4, threshold: 3, colluders: 0, dropouts: 2 }, 'masking')).toBeUndefined();
    // HE has no signed survivor sets (the custodian binds one contributor set per charge key).
    expect(survivorThresholdShortfall({ parties: 4, threshold: 2, colluders: 0, dropouts: 2 }, 'he')).toBeUndefined();
    // n = 3, f = 1, d = 1: t = 2 leaves 2*2 - 3 = 1 = f; t = 3 is needed.
    expect(minSurvivorThreshold({ parties: 3, colluders: 1, dropouts: 1 }, 'masking')).toBe(3);
    // Brute force over small n: the minimum is exactly the smallest t with t >= n - d and 2t - n > f.
    for (let n = 2; n <= 12; n++) {
      for (let f = 0; f < n; f++) {
        for (let d = 0; f + d < n; d++) {
          const min = minSurvivorThreshold({ parties: n, colluders: f, dropouts: d }, 'masking');
          let want = 2;
          while (want < n - d || 2 * want - n <= f) want++;
          expect(min).toBe(want);
          if (min <= n) expect(survivorThresholdShortfall({ parties: n, threshold: min, colluders: f, dropouts: d }, 'masking')).toBeUndefined();
          expect(survivorThresholdShortfall({ parties: n, threshold: min - 1, colluders: f, dropouts: d }, 'masking')).toBeDefined();
        }
      }
    }
  });

  it('refuses t > n, no honest survivor and malformed numbers; assert throws THRESHOLD_BELOW_PLAN', () => {
    expect(survivorThresholdShortfall({ parties: 3, threshold: 4, colluders: 0, dropouts: 0 }, 'he')).toMatch(/exceeds/);
    expect(survivorThresholdShortfall({ parties: 3, threshold: 3, colluders: 2, dropouts: 1 }, 'he')).toMatch(/no honest survivor/);
    expect(survivorThresholdShortfall({ parties: 3, threshold: 2.5, colluders: 0, dropouts: 0 }, 'he')).toMatch(/integer/);
    expect(() => assertSurvivorThreshold({ parties: 10, threshold: 7, colluders: 1, dropouts: 2 }, 'masking')).toThrow(
      expect.objectContaining({ code: ErrorCode.ThresholdBelowPlan, details: expect.objectContaining({ field: 'compute.threshold', required: 8 }) }),
    );
  });
});
