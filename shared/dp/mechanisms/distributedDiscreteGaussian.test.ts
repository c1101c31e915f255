// Tests of the distributed discrete Gaussian mechanism value: the plan meets its own privacy map
// tightly, the map is KLS 2021 / CKS 2020 and rejects bad input, invoke adds exact integer shares.
import { describe, expect, it } from 'vitest';
import { distributedDiscreteGaussian, planDistributedDiscreteGaussian } from './distributedDiscreteGaussian.js';
import { rhoOfDistributedGaussian } from '../distributed/rhoOfDistributedGaussian.js';
import { sampleDiscreteGaussian } from '../samplers/DiscreteGaussianSampler.js';
import { seededRandomSource } from '../random/RandomSource.js';
import { ErrorCode, isFedsynthError } from '../../errors/FedsynthError.js';

describe('distributedDiscreteGaussian', () => {
  it('the plan is the least noise whose privacy map meets rho (honest survivors only)', () => {
    for (const [parties, colluders, dropouts] of [[1, 0, 0], [3, 0, 0], [10, 1, 2]]) {
      for (const l2 of [1, Math.sqrt(14), 2 * Math.sqrt(3)]) {
        const m = planDistributedDiscreteGaussian({ rho: 0.01, l2Sensitivity: l2, parties, colluders, dropouts });
        expect(m.honestMinParties).toBe(parties - colluders - dropouts);
        expect(m.privacyMap(l2)).toBeLessThanOrEqual(0.01);
        expect(distributedDiscreteGaussian({ parties, colluders, dropouts, perPartySigma2: m.perPartySigma2 * (1 - 1e-6) }).privacyMap(l2)).toBeGreaterThan(0.01);
        expect(m.privacyMap(l2)).toBe(rhoOfDistributedGaussian({ sigma2: m.perPartySigma2, summands: m.honestMinParties, l2Sensitivity: l2 }));
        expect(m.sumSigma2(parties)).toBeCloseTo(parties * m.perPartySigma2, 9);
      }
    }
    // one share: the central discrete Gaussian's Delta^2 / (2 sigma^2) (CKS 2020, Thm 4), plus the 1e-9 margin
    expect(distributedDiscreteGaussian({ parties: 1, colluders: 0, dropouts: 0, perPartySigma2: 50 }).privacyMap(10)).toBeCloseTo(1 * (1 + 1e-9), 15);
  });

  it('the privacy map rejects negative, NaN and infinite input; bad shapes are refused', () => {
    const m = distributedDiscreteGaussian({ parties: 3, colluders: 0, dropouts: 0, perPartySigma2: 10 });
    for (const bad of [-1, NaN, Infinity]) {
      let caught: unknown;
      try {
        m.privacyMap(bad);
      } catch (e) {
        caught = e;
      }
      expect(isFedsynthError(caught) && caught.code).toBe(ErrorCode.InvalidPrivacyParameter);
    }
    expect(() => distributedDiscreteGaussian({ parties: 2, colluders: 1, dropouts: 1, perPartySigma2: 10 })).toThrow(/honest/);
    for (const bad of [0, -1, NaN, Infinity]) expect(() => distributedDiscreteGaussian({ parties: 2, colluders: 0, dropouts: 0, perPartySigma2: bad })).toThrow(/perPartySigma2/);
  });

  it('invoke is one party\'s release: its integer counts plus one exact N_Z(0, sigma_p^2) draw per cell', () => {
    const m = planDistributedDiscreteGaussian({ rho: 0.05, l2Sensitivity: 1, parties: 4, colluders: 0, dropouts: 0 });
    const counts = Float64Array.from([0, 5, 17, 1000]);
    const got = m.invoke(counts, seededRandomSource('t', 'party/0/noise'));
    const rng = seededRandomSource('t', 'party/0/noise');
    expect([...got]).toEqual([...counts].map((c) => c + sampleDiscreteGaussian(m.perPartySigma2, rng)));
    expect(got.every((v) => Number.isInteger(v))).toBe(true);
    expect([...counts]).toEqual([0, 5, 17, 1000]); // the input is not modified
    expect(() => m.invoke(Float64Array.from([0.5]), rng)).toThrow(/integer/);
  });
});
