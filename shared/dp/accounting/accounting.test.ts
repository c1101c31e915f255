// Tests of the zCDP accountant: CKS 2020 conversion against independent high-precision values and a
// brute-force scan, the safe inverse, composition, refusals, and the exponential mechanism cost.
import { describe, expect, it } from 'vitest';
import { epsilonAtAlpha, epsilonFromRho, rhoFromEpsilon } from './cdpConversion.js';
import { PrivacyAccountant, composeRho } from './PrivacyAccountant.js';
import { exponentialMechanismRho } from '../mechanisms/exponentialMechanismRho.js';
import { discreteGaussianMechanism } from '../mechanisms/discreteGaussianMechanism.js';
import { isFedsynthError, ErrorCode } from '../../errors/FedsynthError.js';

// Reference values: inf over alpha of CKS 2020 Cor. 13, computed independently with mpmath at 40
// digits (grid + Newton on the derivative). Script kept in docs/privacy.md ("reference values").
const REFERENCE: [number, number, number][] = [
  [0.1, 1e-5, 1.9142388320035978],
  [0.5, 1e-6, 5.2215344445301691],
  [1.0, 1e-9, 9.5214636717922322],
  [0.01, 1e-9, 0.81017446786753417],
  [2.0, 1e-5, 10.724824112939172],
];

describe('epsilonFromRho', () => {
  it('matches independent high-precision reference values', () => {
    for (const [rho, delta, eps] of REFERENCE) expect(epsilonFromRho(rho, delta)).toBeCloseTo(eps, 9);
  });

  it('agrees with a brute-force scan over alpha and never undercuts it', () => {
    for (const rho of [1e-4, 0.003, 0.2, 3, 50]) {
      for (const delta of [1e-3, 1e-7, 1e-12]) {
        let brute = Infinity;
        for (let i = 1; i < 200_000; i++) brute = Math.min(brute, epsilonAtAlpha(rho, delta, 1 + i * 1e-4 * (1 + i / 1000)));
        const e = epsilonFromRho(rho, delta);
        expect(e).toBeLessThanOrEqual(brute + 1e-12);
        expect(e).toBeGreaterThanOrEqual(brute - 1e-6 * brute);
        expect(e).toBeLessThanOrEqual(rho + 2 * Math.sqrt(rho * Math.log(1 / delta))); // Bun-Steinke
      }
    }
  });

  it('rejects NaN, negative and infinite input', () => {
    for (const bad of [NaN, -1, Infinity]) expect(() => epsilonFromRho(bad, 1e-6)).toThrow(/rho/);
    for (const bad of [0, 1, NaN, -0.1]) expect(() => epsilonFromRho(1, bad)).toThrow(/delta/);
    try {
      rhoFromEpsilon(NaN, 1e-6);
    } catch (e) {
      expect(isFedsynthError(e) && e.code).toBe(ErrorCode.InvalidPrivacyParameter);
    }
  });
});

describe('rhoFromEpsilon', () => {
  it('inverts epsilonFromRho on the safe side and tightly', () => {
    for (const [eps, delta] of [[1, 1e-9], [0.1, 1e-6], [5, 1e-5], [10, 1e-10]] as const) {
      const rho = rhoFromEpsilon(eps, delta);
      expect(epsilonFromRho(rho, delta)).toBeLessThanOrEqual(eps);
      expect(epsilonFromRho(rho * (1 + 1e-9), delta)).toBeGreaterThan(eps * (1 - 1e-8));
    }
    // round trip with a reference value
    expect(rhoFromEpsilon(REFERENCE[2][2], 1e-9)).toBeCloseTo(1.0, 8);
  });
});

describe('PrivacyAccountant', () => {
  it('charges, composes additively and refuses overspending with typed details', () => {
    const acc = new PrivacyAccountant(1);
    acc.charge('a', 1 / 3);
    acc.charge('b', 1 / 3);
    acc.charge('c', 1 / 3); // exact split accepted
    expect(acc.spent).toBeCloseTo(1, 12);
    let caught: unknown;
    try {
      acc.charge('d', 0.01);
    } catch (e) {
      caught = e;
    }
    expect(isFedsynthError(caught)).toBe(true);
    const err = caught as { code: string; details: { requested: number; remaining: number } };
    expect(err.code).toBe(ErrorCode.BudgetExceeded);
    expect(err.details.requested).toBe(0.01);
    expect(err.details.remaining).toBeLessThan(1e-12);
    expect(acc.charges.length).toBe(3);
    expect(() => acc.charge('neg', -1)).toThrow();
    expect(() => new PrivacyAccountant(NaN)).toThrow();
    expect(composeRho([0.1, 0.2])).toBeCloseTo(0.3, 15);
  });

  it('exponential mechanism and discrete Gaussian privacy maps', () => {
    expect(exponentialMechanismRho(1)).toBe(1 / 8);
    const m = discreteGaussianMechanism(50);
    expect(m.privacyMap(10)).toBe(1); // 10^2 / (2*50)
    for (const bad of [-1, NaN, Infinity]) expect(() => m.privacyMap(bad)).toThrow();
  });
});
