// rhoOfDistributedGaussian: the zCDP cost of a sum of n independent discrete Gaussians (per-party noise).
// Kairouz, Liu, Steinke (ICML 2021), "The Distributed Discrete Gaussian Mechanism ...", Prop. 14 / Eq. 17.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';

export interface DistributedGaussianCostInput {
  /** Variance parameter of each honest party's discrete Gaussian, sigma^2 >= 1/4. */
  readonly sigma2: number;
  /** Number n of independent summands whose noise the adversary does not know. */
  readonly summands: number;
  /** L2 sensitivity of the integer query (Delta_2). */
  readonly l2Sensitivity: number;
  /** L1 sensitivity (bounds the number of coordinates a neighbour changes); default Delta_2^2. */
  readonly l1Sensitivity?: number;
}

/** Relative safety margin added to every computed rho (covers floating-point rounding). */
export const RHO_SAFETY_MARGIN = 1e-9;

/** tau = 10 * sum_{k=1}^{n-1} exp(-2 pi^2 sigma^2 k / (k+1))  (KLS 2021, Theorem 1). */
export function distributedGaussianTau(sigma2: number, n: number): number {
  let tau = 0;
  for (let k = 1; k < n; k++) tau += Math.exp((-2 * Math.PI * Math.PI * sigma2 * k) / (k + 1));
  return 10 * tau;
}

/**
 * KLS 2021 Proposition 14 (Eq. 17): for Z = sum of n independent N_Z(0, sigma^2)^d (sigma >= 1/2) and
 * any Delta in Z^d, with s = ||Delta||_2 / (sqrt(n) sigma),
 *   D_alpha(Z || Z + Delta) <= min( alpha s^2 / 2 + tau d,  (alpha / 2) (s + tau sqrt(d))^2 ).
 * Coordinates where Delta is 0 contribute nothing (product distributions), so d may be taken as the
 * number of non-zero coordinates of Delta, at most ||Delta||_1 for integer Delta. For rho-zCDP
 * (D_alpha <= rho alpha for all alpha >= 1) the first bound gives rho = s^2/2 + tau d (tau d <= alpha
 * tau d) and the second rho = (s + tau sqrt(d))^2 / 2; we return the smaller, times (1 + 1e-9).
 * With n = 1, tau = 0 and this is the discrete Gaussian's Delta^2 / (2 sigma^2) (CKS 2020, Thm 4).
 */
export function rhoOfDistributedGaussian(input: DistributedGaussianCostInput): number {
  const sigma2 = checkPrivacyNumber(input.sigma2, 'sigma2', true);
  if (sigma2 < 0.25) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'KLS 2021 requires sigma >= 1/2');
  const n = input.summands;
  if (!Number.isInteger(n) || n < 1) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `summands must be an integer >= 1, got ${n}`);
  }
  const l2 = checkPrivacyNumber(input.l2Sensitivity, 'l2Sensitivity');
  const d = Math.ceil(checkPrivacyNumber(input.l1Sensitivity ?? l2 * l2, 'l1Sensitivity'));
  const tau = distributedGaussianTau(sigma2, n);
  const s2 = (l2 * l2) / (n * sigma2);
  const b1 = s2 / 2 + tau * d;
  const b2 = (Math.sqrt(s2) + tau * Math.sqrt(d)) ** 2 / 2;
  return Math.min(b1, b2) * (1 + RHO_SAFETY_MARGIN);
}
