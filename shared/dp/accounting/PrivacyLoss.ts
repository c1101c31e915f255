// PrivacyLoss: the privacy cost of a release or a run, as a Renyi-DP curve eps(alpha) (Mironov 2017).
// A zCDP part rho (the curve rho * alpha, for every alpha > 1) plus an RDP part known on RDP_ORDERS.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkPrivacyNumber } from './checkPrivacyNumber.js';

/**
 * The fixed grid of Renyi orders alpha on which RDP parts are given: alpha = 1 + 10^(k/40),
 * k = -80..240 (alpha - 1 from 0.01 to 10^6, 321 orders, 6% apart). Fixed so that curves from
 * different mechanisms add entry by entry. A mechanism whose RDP is known only at integer orders
 * may report eps(ceil(alpha)) at alpha: RDP is non-decreasing in alpha (van Erven & Harremoes 2014,
 * Thm 3), so that is a valid bound.
 */
export const RDP_ORDERS: readonly number[] = Object.freeze(Array.from({ length: 321 }, (_, i) => 1 + 10 ** ((i - 80) / 40)));

/**
 * A privacy loss: D_alpha(M(x) || M(x')) <= rho * alpha + rdp[i] at alpha = RDP_ORDERS[i] for all
 * neighbours x, x'. `rho` alone (no `rdp`) is rho-zCDP (Bun & Steinke 2016, Def. 1.1): the bound
 * holds at EVERY alpha > 1, not only on the grid, and is converted to (epsilon, delta) exactly.
 * `rdp` (when present) is epsilon(alpha) of (alpha, epsilon)-RDP at each grid order; Infinity means
 * no bound at that order.
 */
export interface PrivacyLoss {
  readonly rho: number;
  readonly rdp?: readonly number[];
}

/** The loss of a rho-zCDP release. */
export function zcdpLoss(rho: number): PrivacyLoss {
  return { rho: checkPrivacyNumber(rho, 'rho') };
}

/** The loss of an (alpha, epsilon(alpha))-RDP release given on RDP_ORDERS. */
export function rdpLoss(epsilons: readonly number[]): PrivacyLoss {
  return { rho: 0, rdp: checkRdpCurve(epsilons) };
}

/** Returns the curve if it has one entry per RDP order, each >= 0 (Infinity allowed, NaN not). */
export function checkRdpCurve(epsilons: readonly number[]): readonly number[] {
  if (!Array.isArray(epsilons) || epsilons.length !== RDP_ORDERS.length || epsilons.some((e) => typeof e !== 'number' || Number.isNaN(e) || e < 0)) {
    throw new FedsynthError(
      ErrorCode.InvalidPrivacyParameter,
      `an RDP curve must give one epsilon >= 0 (or Infinity) for each of the ${RDP_ORDERS.length} orders of RDP_ORDERS`,
      { parameter: 'rdp' },
    );
  }
  return epsilons;
}

/** Checks a loss (a bare number is a zCDP rho) and returns it as a PrivacyLoss. */
export function checkPrivacyLoss(loss: number | PrivacyLoss): PrivacyLoss {
  if (typeof loss === 'number') return zcdpLoss(loss);
  checkPrivacyNumber(loss.rho, 'rho');
  if (loss.rdp !== undefined) checkRdpCurve(loss.rdp);
  return loss;
}

/**
 * Composition: Renyi divergences of adaptively composed mechanisms add at every order (Mironov
 * 2017, Prop. 1; for zCDP Bun & Steinke 2016, Lemma 2.3), so rho parts add and RDP parts add entry
 * by entry. The zCDP parts stay exact (no grid) as long as no RDP part is involved.
 */
export function composeLosses(a: PrivacyLoss, b: PrivacyLoss): PrivacyLoss {
  const rho = a.rho + b.rho;
  if (a.rdp === undefined && b.rdp === undefined) return { rho };
  if (a.rdp === undefined) return { rho, rdp: b.rdp };
  if (b.rdp === undefined) return { rho, rdp: a.rdp };
  const x = a.rdp;
  const y = b.rdp;
  return { rho, rdp: x.map((e, i) => e + y[i]) };
}

/**
 * The loss of `times` adaptive repetitions of `loss` (e.g. the steps of DP-SGD): composition
 * (Mironov 2017, Prop. 1) adds the curves, so every part is multiplied by `times`.
 */
export function repeatLoss(loss: PrivacyLoss, times: number): PrivacyLoss {
  if (!Number.isInteger(times) || times < 0) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `repetitions must be an integer >= 0, got ${times}`, { parameter: 'times' });
  }
  const l = checkPrivacyLoss(loss);
  return l.rdp === undefined ? { rho: l.rho * times } : { rho: l.rho * times, rdp: l.rdp.map((e) => e * times) };
}

/** The loss as a plain RDP curve on RDP_ORDERS: rho * alpha + rdp(alpha). */
export function rdpCurveOf(loss: PrivacyLoss): number[] {
  return RDP_ORDERS.map((alpha, i) => loss.rho * alpha + (loss.rdp?.[i] ?? 0));
}
