// Tests of the subsampled-Gaussian accountants: published TF-Privacy values (MTZ 2019 formulas), an
// independent numerical integration of A_alpha, the Zhu-Wang bound's relation to MTZ, and calibration.
import { describe, expect, it } from 'vitest';
import { sampledGaussianLogA, sampledGaussianRdp } from './sampledGaussianRdp.js';
import { poissonSubsampledRdpAtInteger, subsampledZcdpLoss } from './poissonSubsampledRdp.js';
import { additionRdpBound, removalRdpAtInteger } from './subsampledDirections.js';
import { epsilonOfSubsampledGaussian, noiseMultiplierFor, subsampledGaussianStepLoss } from './noiseMultiplierFor.js';
import { epsilonFromRdpAtOrder, epsilonFromRho } from './cdpConversion.js';
import { logAddExp } from './logMath.js';
import { RDP_ORDERS, repeatLoss } from './PrivacyLoss.js';

/** Mironov 2017, Prop. 3: the conversion TF-Privacy used before 2020, eps = min_alpha rdp + log(1/delta)/(alpha-1). */
function mironovEpsilon(orders: readonly number[], rdp: readonly number[], delta: number): { eps: number; order: number } {
  let best = { eps: Infinity, order: NaN };
  orders.forEach((a, i) => {
    const e = rdp[i] + Math.log(1 / delta) / (a - 1);
    if (e < best.eps) best = { eps: e, order: a };
  });
  return best;
}

/**
 * log E_{z ~ mu0}[(mu(z)/mu0(z))^power] by direct numerical integration, mu(z)/mu0(z) =
 * 1 - q + q e^{(2z-1)/(2 sigma^2)} (trapezoid rule in log space on 400001 points over
 * [-40 sigma, max(power, 0) + 40 sigma + 1]): shares no code with the series of sampledGaussianRdp.
 * power = alpha gives A_alpha (removal), power = 1 - alpha gives B_alpha (addition).
 */
function logMomentByIntegration(q: number, sigma: number, power: number): number {
  const lo = -40 * sigma;
  const hi = Math.max(power, 0) + 40 * sigma + 1;
  const n = 400000;
  const h = (hi - lo) / n;
  let acc = -Infinity;
  for (let i = 0; i <= n; i++) {
    const z = lo + i * h;
    const logMu0 = -(z * z) / (2 * sigma * sigma) - Math.log(sigma * Math.sqrt(2 * Math.PI));
    const logRatio = logAddExp(Math.log1p(-q), Math.log(q) + (2 * z - 1) / (2 * sigma * sigma));
    const w = i === 0 || i === n ? 0.5 : 1;
    acc = logAddExp(acc, Math.log(w * h) + logMu0 + power * logRatio);
  }
  return acc;
}
const logAByIntegration = (q: number, sigma: number, alpha: number): number => logMomentByIntegration(q, sigma, alpha);
const logBByIntegration = (q: number, sigma: number, alpha: number): number => logMomentByIntegration(q, sigma, 1 - alpha);

describe('sampled Gaussian RDP (Mironov, Talwar, Zhang 2019)', () => {
  // Published values: tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py
  // (commit 09270afed61a4e9ef6295217b53731f7515f0350): test_compute_rdp_scalar and
  // test_compute_rdp_sequence, compute_rdp(q, noise_multiplier, steps, orders) = steps * eps(alpha).
  it('matches TF-Privacy compute_rdp(0.1, 2, 10, 5) = 0.07737', () => {
    expect(Math.abs(10 * sampledGaussianRdp(0.1, 2, 5) - 0.07737)).toBeLessThan(5e-6);
  });

  it('matches TF-Privacy compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100]) at integer and fractional orders', () => {
    const orders = [1.5, 2.5, 5, 50, 100];
    const published = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307];
    orders.forEach((a, i) => expect(Math.abs(50 * sampledGaussianRdp(0.01, 2.5, a) - published[i])).toBeLessThanOrEqual(1e-5));
  });

  it('reproduces the published epsilons of TF-Privacy with the Mironov 2017 conversion they used', () => {
    // tensorflow/privacy privacy/analysis/rdp_accountant_test.py at commit 9106a04e2ca1b581dd90e44991ed8f5fcab440c6
    // (before the 2020 switch to the Balle et al. conversion), test_get_privacy_spent_check_target_delta:
    // compute_rdp(0.01, 4, 10000, range(2, 33)), delta 1e-5 -> eps 1.258575 at order 20.
    const o1 = Array.from({ length: 31 }, (_, i) => i + 2);
    const r1 = mironovEpsilon(o1, o1.map((a) => 10000 * sampledGaussianRdp(0.01, 4, a)), 1e-5);
    expect(Math.abs(r1.eps - 1.258575)).toBeLessThan(5e-6);
    expect(r1.order).toBe(20);
    // An earlier version of the same file, test_compute_privacy_loss: (0.01, 4, 10000) then (0.1, 2, 100),
    // delta 1e-5 -> 3.276237 at order 8.
    const o2 = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 64, 256];
    const r2 = mironovEpsilon(o2, o2.map((a) => 10000 * sampledGaussianRdp(0.01, 4, a) + 100 * sampledGaussianRdp(0.1, 2, a)), 1e-5);
    expect(Math.abs(r2.eps - 3.276237)).toBeLessThan(5e-6);
    expect(r2.order).toBe(8);
    // Commit 9106a04e, test_check_composition: (1e-4, 0.4, 40000) then (0.1, 2, 100), delta 1e-5 -> 8.509656
    // at order 2.5 (the current file, commit 09270afe, keeps it as an upper bound under the new conversion).
    const r3 = mironovEpsilon(o2, o2.map((a) => 40000 * sampledGaussianRdp(1e-4, 0.4, a) + 100 * sampledGaussianRdp(0.1, 2, a)), 1e-5);
    expect(Math.abs(r3.eps - 8.509656)).toBeLessThan(5e-6);
    expect(r3.order).toBe(2.5);
  });

  it('reproduces Opacus\'s published RDP-accountant epsilon (MTZ plus the Balle et al. / CKS conversion)', () => {
    // pytorch/opacus opacus/tests/accountants_test.py (commit 030b723fb89aabf3cde663018bb63e5bb95f197a),
    // test_rdp_accountant: noise 1.5, sample rate 0.04, int(90 / 0.04) = 2250 steps, delta 1e-5 ->
    // epsilon 7.32911117143 (assertAlmostEqual, 7 places) over Opacus's DEFAULT_ALPHAS
    // [1 + x / 10 for x in 1..99] + [12..63].
    const orders = [...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10), ...Array.from({ length: 52 }, (_, i) => i + 12)];
    const eps = Math.min(...orders.map((a) => epsilonFromRdpAtOrder(2250 * sampledGaussianRdp(0.04, 1.5, a), 1e-5, a)));
    expect(Math.abs(eps - 7.32911117143)).toBeLessThan(5e-8);
  });

  it('agrees with an independent numerical integration of A_alpha (integer and fractional orders)', () => {
    for (const [q, sigma, alpha] of [[0.01, 2.5, 2.5], [0.1, 1, 5], [0.05, 0.8, 10.5], [0.2, 3, 32], [0.001, 1, 1.3], [0.3, 1.5, 7.25]] as const) {
      const series = sampledGaussianLogA(q, sigma, alpha);
      const integral = logAByIntegration(q, sigma, alpha);
      expect(Math.abs(series - integral)).toBeLessThan(1e-8 + 1e-7 * Math.abs(integral));
    }
  });

  it('is the plain Gaussian at q = 1 and 0 at q = 0; the fractional series meets the integer formula', () => {
    expect(sampledGaussianRdp(1, 2, 7)).toBeCloseTo(7 / 8, 12);
    expect(sampledGaussianRdp(0, 2, 7)).toBe(0);
    const below = sampledGaussianLogA(0.05, 1.2, 6 - 1e-9);
    expect(Math.abs(below - sampledGaussianLogA(0.05, 1.2, 6))).toBeLessThan(1e-7);
  });

  it('the TF-Privacy Gaussian at sigma = 4.530877117 is (1, 1e-6)-DP under our CKS/Balle conversion', () => {
    // tensorflow/privacy rdp_accountant_test.py (commit above), test_get_privacy_spent_check_target_delta:
    // "Scale is chosen to obtain exactly (1,1e-6)-DP" with the Balle et al. 2020 conversion.
    expect(epsilonFromRho(1 / (2 * 4.530877117 ** 2), 1e-6)).toBeCloseTo(1, 6);
  });
});

describe('Zhu-Wang general Poisson-subsampling bound', () => {
  it('upper-bounds the exact sampled Gaussian, by at most the factor 3 on the terms l >= 3', () => {
    for (const [q, sigma] of [[0.01, 1], [0.05, 2], [0.2, 0.8], [0.001, 0.6]] as const) {
      const rho = 1 / (2 * sigma * sigma);
      for (const alpha of [2, 3, 8, 32, 128]) {
        const zw = poissonSubsampledRdpAtInteger(q, alpha, (l) => rho * l);
        const mtz = sampledGaussianRdp(q, sigma, alpha);
        expect(zw).toBeGreaterThanOrEqual(mtz - 1e-12);
        expect(zw).toBeLessThanOrEqual(mtz + Math.log(3) / (alpha - 1) + 1e-12);
        if (alpha === 2) expect(zw).toBeCloseTo(mtz, 10); // the two expansions coincide at alpha = 2
      }
    }
  });

  it('is the Zhu-Wang expression (coefficient 3 on l >= 3) at alpha = 3', () => {
    const [q, rho] = [0.07, 0.4];
    const expected = Math.log((1 - q) ** 2 * (1 + 2 * q) + 3 * q * q * (1 - q) * Math.exp(2 * rho) + 3 * q ** 3 * Math.exp(6 * rho)) / 2;
    expect(poissonSubsampledRdpAtInteger(q, 3, (l) => rho * l)).toBeCloseTo(expected, 12);
  });

  it('direction bounds: removal is MTZ\'s A_alpha for the Gaussian; addition bounds the Gaussian\'s exact B_alpha', () => {
    for (const [q, sigma] of [[0.01, 1], [0.1, 2], [0.05, 0.8], [0.2, 5], [0.3, 0.5]] as const) {
      const rho = 1 / (2 * sigma * sigma);
      for (const alpha of [2, 3, 8, 20]) {
        expect(removalRdpAtInteger(q, alpha, (l) => rho * l)).toBeCloseTo(sampledGaussianRdp(q, sigma, alpha), 10);
      }
      for (const alpha of [1.5, 2, 3.5, 8, 20, 50]) {
        const exact = logBByIntegration(q, sigma, alpha) / (alpha - 1);
        const bound = additionRdpBound(q, alpha, 2 * rho);
        expect(bound).toBeGreaterThanOrEqual(exact - 1e-9);
        if (q * (alpha - 1) <= 0.1 && sigma >= 1) expect(bound).toBeLessThan(1.3 * exact); // and close at small q (alpha - 1)
      }
    }
    expect(additionRdpBound(0, 5, 1)).toBe(0);
  });

  it('the grid curve is min(rho alpha, ZW at ceil(alpha)), rho alpha at q = 1, 0 at q = 0', () => {
    const rho = 0.3;
    const full = subsampledZcdpLoss(1, rho).rdp ?? [];
    RDP_ORDERS.forEach((a, i) => expect(full[i]).toBeCloseTo(rho * a, 9));
    expect((subsampledZcdpLoss(0, rho).rdp ?? []).every((e) => e === 0)).toBe(true);
    const sub = subsampledZcdpLoss(0.01, rho).rdp ?? [];
    const sigma = 1 / Math.sqrt(2 * rho);
    RDP_ORDERS.forEach((a, i) => {
      expect(sub[i]).toBeLessThanOrEqual(rho * a);
      if (a <= 1024) {
        const c = Math.max(2, Math.ceil(a));
        const zw = poissonSubsampledRdpAtInteger(0.01, c, (l) => rho * l);
        const directions = Math.max(removalRdpAtInteger(0.01, c, (l) => rho * l), additionRdpBound(0.01, a, 2 * rho));
        expect(sub[i]).toBeCloseTo(Math.min(rho * a, zw, directions), 12);
        expect(sub[i]).toBeGreaterThanOrEqual(sampledGaussianRdp(0.01, sigma, a) - 1e-12); // never below the Gaussian's exact A
      }
    });
  });
});

describe('noiseMultiplierFor', () => {
  it('returns the least z meeting the target (bisection on the safe side), for both bounds', () => {
    for (const bound of ['subsampled-zcdp', 'sampled-gaussian'] as const) {
      const req = { epsilon: 1, delta: 1e-9, sampleRate: 0.01, steps: 300, bound };
      const z = noiseMultiplierFor(req);
      expect(epsilonOfSubsampledGaussian({ ...req, noiseMultiplier: z })).toBeLessThanOrEqual(1);
      expect(epsilonOfSubsampledGaussian({ ...req, noiseMultiplier: z * (1 - 1e-5) })).toBeGreaterThan(1);
    }
    // The price of bounds valid for any mechanism (docs/privacy.md, "Gradient path"): at q = 0.01,
    // T = 1000, epsilon 1, delta 1e-9, within 1% of the continuous Gaussian's MTZ accounting.
    const setting = { epsilon: 1, delta: 1e-9, sampleRate: 0.01, steps: 1000 };
    const charged = noiseMultiplierFor(setting);
    const mtz = noiseMultiplierFor({ ...setting, bound: 'sampled-gaussian' });
    expect(mtz).toBeLessThanOrEqual(charged);
    expect(charged / mtz).toBeLessThan(1.01);
  });

  it('composition: steps repetitions of the step loss', () => {
    const step = subsampledGaussianStepLoss(0.02, 1.5);
    const many = repeatLoss(step, 300);
    expect(many.rdp?.[100]).toBeCloseTo(300 * (step.rdp?.[100] ?? NaN), 9);
    expect(() => noiseMultiplierFor({ epsilon: 1, delta: 1e-9, sampleRate: 0, steps: 10 })).toThrow(/sampleRate/);
    expect(() => noiseMultiplierFor({ epsilon: 1, delta: 1e-9, sampleRate: 0.1, steps: 0 })).toThrow(/steps/);
  });
});
