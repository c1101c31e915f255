// Tests of the distributed discrete Gaussian planner: plans are verified against the KLS 2021 bound,
// minimal, reduce to the central discrete Gaussian for one honest party, and reject bad input.
import { describe, expect, it } from 'vitest';
import { planDistributedGaussian, rhoOfDistributedGaussian } from './planDistributedGaussian.js';
import { distributedGaussianTau } from './rhoOfDistributedGaussian.js';
import { rhoFromEpsilon } from '../accounting/cdpConversion.js';
import { marginalSensitivity } from '../privacyUnit.js';

describe('planDistributedGaussian', () => {
  it('returns a verified, minimal per-party variance', () => {
    for (const [parties, colluders, dropouts] of [[10, 1, 2], [3, 0, 0], [50, 10, 10], [1, 0, 0]] as const) {
      for (const rho of [0.001, 0.05, 2]) {
        const { l1, l2 } = marginalSensitivity(3);
        const plan = planDistributedGaussian({ rho, l2Sensitivity: l2, l1Sensitivity: l1, parties, colluders, dropouts });
        const n = parties - colluders - dropouts;
        expect(plan.honestMinParties).toBe(n);
        const check = rhoOfDistributedGaussian({ sigma2: plan.perPartySigma2, summands: n, l2Sensitivity: l2, l1Sensitivity: l1 });
        expect(check).toBeLessThanOrEqual(rho);
        expect(plan.rho).toBe(check);
        if (plan.perPartySigma2 > 0.25) {
          const tighter = rhoOfDistributedGaussian({ sigma2: plan.perPartySigma2 * (1 - 1e-6), summands: n, l2Sensitivity: l2, l1Sensitivity: l1 });
          expect(tighter).toBeGreaterThan(rho);
        }
        expect(plan.sumSigma2(n)).toBeCloseTo(n * plan.perPartySigma2, 9);
      }
    }
  });

  it('one honest party is the central discrete Gaussian (tau = 0): sigma^2 = Delta^2 / (2 rho)', () => {
    const plan = planDistributedGaussian({ rho: 0.5, l2Sensitivity: 2, parties: 3, colluders: 1, dropouts: 1 });
    expect(plan.perPartySigma2).toBeCloseTo(4, 6);
    expect(distributedGaussianTau(4, 1)).toBe(0);
  });

  it('the tau term matters for small variances and many parties', () => {
    const t = distributedGaussianTau(0.3, 100);
    expect(t).toBeGreaterThan(0.01);
    const withTau = rhoOfDistributedGaussian({ sigma2: 0.3, summands: 100, l2Sensitivity: 1 });
    expect(withTau).toBeGreaterThan(1 / (2 * 100 * 0.3));
  });

  it('worked example: epsilon 1, delta 1e-9, 10 parties, 1 colluder, 2 dropouts, 1 marginal', () => {
    const rho = rhoFromEpsilon(1, 1e-9);
    const plan = planDistributedGaussian({ rho, l2Sensitivity: 1, l1Sensitivity: 1, parties: 10, colluders: 1, dropouts: 2 });
    expect(plan.honestMinParties).toBe(7);
    expect(plan.perPartySigma2 * 7).toBeCloseTo(1 / (2 * rho), 3); // tau is negligible here
  });

  it('rejects impossible or invalid requests', () => {
    expect(() => planDistributedGaussian({ rho: 1, l2Sensitivity: 1, parties: 3, colluders: 2, dropouts: 1 })).toThrow(/honest/);
    expect(() => planDistributedGaussian({ rho: NaN, l2Sensitivity: 1, parties: 3, colluders: 0, dropouts: 0 })).toThrow();
    expect(() => planDistributedGaussian({ rho: 1, l2Sensitivity: -1, parties: 3, colluders: 0, dropouts: 0 })).toThrow();
    expect(() => rhoOfDistributedGaussian({ sigma2: 0.1, summands: 2, l2Sensitivity: 1 })).toThrow(/sigma/);
  });
});
