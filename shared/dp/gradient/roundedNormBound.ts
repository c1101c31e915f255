// roundedNormBound: L2 sensitivities, in integer units, of the discretized gradient contribution of
// one record: KLS 2021's conditional-rounding bound (per record) and the coupling bound (per party sum).
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';

/**
 * KLS 2021 (arXiv 2102.06387), Theorem 1 with conditional randomized rounding (Prop. 22): a vector
 * x in R^d with ||x||_2 <= c, rounded randomly and conditioned on ||R(x)||_2 <= Delta_2, where
 *   Delta_2^2 = min( c^2 + d/4 + sqrt(2 log(1/beta)) (c + sqrt(d)/2),  (c + sqrt(d))^2 ),
 * is accepted with probability >= 1 - beta per try. The second term is deterministic
 * (||R(x) - x||_inf < 1), so with beta = 0 (unconditional rounding) Delta_2 = c + sqrt(d).
 */
export function roundedNormBound(c: number, d: number, beta: number): number {
  checkPrivacyNumber(c, 'clip norm (integer units)');
  if (!Number.isInteger(d) || d < 1) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `dimension must be an integer >= 1, got ${d}`);
  if (!(beta >= 0 && beta < 1)) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `beta must be in [0, 1), got ${beta}`, { parameter: 'beta' });
  const deterministic = c + Math.sqrt(d);
  if (beta === 0) return deterministic;
  const sq = c * c + d / 4 + Math.sqrt(2 * Math.log(1 / beta)) * (c + Math.sqrt(d) / 2);
  return Math.min(deterministic, Math.sqrt(sq));
}

/**
 * Sensitivity of a party's discretized clipped SUM, rounded once (randomizedRound, unconditional),
 * for add/remove of one record of clipped norm <= c (integer units, after scaling): the sums x, x'
 * differ by delta with ||delta||_2 <= c. Under the coupling with common U (randomizedRound), the
 * rounded sums differ by v with |v_i| <= ceil(|delta_i|) <= |delta_i| + [delta_i != 0], so
 *   ||v||_2 <= ||delta||_2 + sqrt(d) <= c + sqrt(d)   (triangle inequality).
 * For each fixed U both outputs are shifts of the same noise by integer vectors at distance <= this
 * bound, and the Renyi divergence of two mixtures with the same mixing law is at most the largest
 * divergence of the components (joint quasi-convexity, van Erven & Harremoes 2014, Thm 13), so the
 * KLS 2021 Prop. 14 bound applies with Delta_2 = c + sqrt(d).
 */
export function partySumSensitivity(c: number, d: number): number {
  return roundedNormBound(c, d, 0);
}
