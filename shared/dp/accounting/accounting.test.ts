// Tests of the accountant: CKS 2020 conversion against independent high-precision values and a
// brute-force scan, the safe inverse, zCDP and RDP composition, refusals, the exponential mechanism cost.
import { describe, expect, it } from 'vitest';
import { epsilonAtAlpha, epsilonFromRho, rhoFromEpsilon } from './cdpConversion.js';
import { PrivacyAccountant, composeRho } from './PrivacyAccountant.js';
import { RDP_ORDERS, composeLosses, rdpCurveOf, rdpLoss, zcdpLoss } from './PrivacyLoss.js';
import { epsilonFromLoss } from './rdpConversion.js';
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
    expect(acc.spent.rho).toBeCloseTo(1, 12);
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

describe('PrivacyLoss and RDP composition', () => {
  const gaussianCurve = (rho: number): number[] => RDP_ORDERS.map((a) => rho * a); // N(0, 1/(2 rho)) at L2 sensitivity 1

  it('a zCDP loss converts exactly as cdpConversion; the same curve given as RDP converts on the grid, never tighter', () => {
    expect(epsilonFromLoss(zcdpLoss(0.5), 1e-9)).toBe(epsilonFromRho(0.5, 1e-9));
    for (const [rho, delta, eps] of REFERENCE) {
      const onGrid = epsilonFromLoss(rdpLoss(gaussianCurve(rho)), delta);
      expect(onGrid).toBeGreaterThanOrEqual(eps - 1e-9);
      expect(onGrid).toBeLessThanOrEqual(eps * (1 + 1e-3)); // orders 6% apart cost < 0.1%
    }
  });

  it('composition adds rho parts and RDP curves order by order; zCDP rho maps to the curve rho * alpha', () => {
    const a = rdpLoss(RDP_ORDERS.map((alpha) => 0.01 * alpha * alpha)); // a curve that is not zCDP-shaped
    const b = rdpLoss(gaussianCurve(0.2));
    const ab = composeLosses(a, b);
    RDP_ORDERS.forEach((alpha, i) => expect(ab.rdp?.[i]).toBeCloseTo(0.01 * alpha * alpha + 0.2 * alpha, 9));
    const mixed = composeLosses(zcdpLoss(0.3), a);
    expect(mixed.rho).toBe(0.3);
    const curve = rdpCurveOf(mixed);
    RDP_ORDERS.forEach((alpha, i) => expect(curve[i]).toBeCloseTo(0.3 * alpha + 0.01 * alpha * alpha, 9));
    expect(composeLosses(zcdpLoss(0.1), zcdpLoss(0.2))).toEqual({ rho: 0.1 + 0.2 });
    // two Gaussians, one as zCDP and one as RDP, compose to the Gaussian of the summed rho
    expect(epsilonFromLoss(composeLosses(zcdpLoss(0.4), rdpLoss(gaussianCurve(0.6))), 1e-9)).toBeCloseTo(
      epsilonFromLoss(rdpLoss(gaussianCurve(1)), 1e-9),
      12,
    );
  });

  it('orders without a bound (Infinity) are skipped; malformed curves are refused', () => {
    const capped = gaussianCurve(1).map((e, i) => (RDP_ORDERS[i] > 40 ? Infinity : e));
    const eps = epsilonFromLoss(rdpLoss(capped), 1e-9);
    expect(Number.isFinite(eps)).toBe(true);
    expect(eps).toBeGreaterThanOrEqual(epsilonFromLoss(rdpLoss(gaussianCurve(1)), 1e-9));
    for (const bad of [[1, 2, 3], gaussianCurve(1).map((e, i) => (i === 5 ? NaN : e)), gaussianCurve(1).map((e, i) => (i === 5 ? -1 : e))]) {
      expect(() => rdpLoss(bad)).toThrow(/RDP curve/);
    }
  });

  it('the accountant composes an RDP release with zCDP releases and refuses what exceeds the budget at delta', () => {
    const total = 1;
    const acc = new PrivacyAccountant(total, { delta: 1e-9 });
    acc.charge('zcdp', 0.4 * total);
    expect(acc.remaining).toBeCloseTo(0.6, 12);
    acc.charge('rdp', rdpLoss(gaussianCurve(0.59 * total)));
    expect(acc.spent.rho).toBe(0.4);
    expect(acc.epsilon()).toBeLessThanOrEqual(epsilonFromRho(total, 1e-9));
    expect(acc.epsilon()).toBeGreaterThan(epsilonFromRho(0.99 * total, 1e-9));
    // what is left is less than 0.01 (the grid costs a little) but not nothing
    expect(acc.remaining).toBeGreaterThan(0.005);
    expect(acc.remaining).toBeLessThan(0.01);
    expect(acc.canCharge(acc.remaining)).toBe(true);
    let caught: unknown;
    try {
      acc.charge('too much', 0.02 * total);
    } catch (e) {
      caught = e;
    }
    expect(isFedsynthError(caught) && caught.code).toBe(ErrorCode.BudgetExceeded);
    expect(acc.charges.map((c) => c.label)).toEqual(['zcdp', 'rdp']);
    // a full budget already spent as RDP leaves nothing
    expect(new PrivacyAccountant(total, { delta: 1e-9, spent: rdpLoss(gaussianCurve(1.01 * total)) }).remaining).toBe(0);
    // an RDP charge needs the delta at which the budget is read
    expect(() => new PrivacyAccountant(1).charge('rdp', rdpLoss(gaussianCurve(0.1)))).toThrow(/delta/);
  });
});
