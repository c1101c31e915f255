// poissonSubsampledRdp: RDP of ANY mechanism run on a Poisson subsample (each record kept with prob. q).
// Zhu & Wang 2019 (ICML) general upper bound, and the two directions bounded separately; smallest wins.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkPrivacyNumber } from './checkPrivacyNumber.js';
import { logAddExp } from './logMath.js';
import { RDP_ORDERS, rdpLoss, type PrivacyLoss } from './PrivacyLoss.js';
import { additionRdpBound, removalRdpAtInteger } from './subsampledDirections.js';

/**
 * Integer orders above this are not computed by the subsampling bound (it costs alpha terms); there
 * the unamplified rho alpha is used, which is always valid.
 */
export const MAX_SUBSAMPLED_ORDER = 1024;

/**
 * Zhu & Wang 2019, general upper bound for Poisson subsampling (Theorem 5 of the PMLR version; it
 * holds for any mechanism M that is (l, eps(l))-RDP for the integers l <= alpha, under add/remove
 * neighbours, with no assumption on M's form): for integer alpha >= 2,
 *   eps'(alpha) <= 1/(alpha-1) log( (1-q)^{alpha-1} (alpha q - q + 1)
 *                                   + C(alpha,2) q^2 (1-q)^{alpha-2} e^{eps(2)}
 *                                   + 3 sum_{l=3}^{alpha} C(alpha,l) q^l (1-q)^{alpha-l} e^{(l-1) eps(l)} ).
 * Evaluated in log space. `eps` is the base mechanism's RDP at integer orders.
 */
export function poissonSubsampledRdpAtInteger(q: number, alpha: number, eps: (order: number) => number): number {
  if (!(q >= 0 && q <= 1) || !Number.isInteger(alpha) || alpha < 2) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `Poisson subsampling: need 0 <= q <= 1 and an integer alpha >= 2; got q=${q}, alpha=${alpha}`);
  }
  if (q === 0) return 0;
  const lq = Math.log(q);
  const l1q = Math.log1p(-q); // -Infinity at q = 1: those terms vanish
  const mul = (k: number, l: number): number => (k === 0 ? 0 : k * l); // 0 * -Infinity = 0 here
  let acc = mul(alpha - 1, l1q) + Math.log(alpha * q - q + 1);
  let logC = Math.log((alpha * (alpha - 1)) / 2);
  acc = logAddExp(acc, logC + 2 * lq + mul(alpha - 2, l1q) + eps(2));
  for (let l = 3; l <= alpha; l++) {
    logC += Math.log(alpha - l + 1) - Math.log(l);
    acc = logAddExp(acc, Math.log(3) + logC + l * lq + mul(alpha - l, l1q) + (l - 1) * eps(l));
  }
  return Math.max(0, acc / (alpha - 1));
}

/**
 * The per-step loss, on RDP_ORDERS, of a rho-zCDP mechanism (D_alpha <= rho alpha at every alpha > 1,
 * both directions) applied to a Poisson subsample at rate q: at each grid order alpha the smallest of
 * three valid bounds,
 *   - rho alpha (subsampling never hurts: the bound of the mechanism itself holds);
 *   - Zhu-Wang's general bound at the integer ceil(alpha) with eps(l) = rho l;
 *   - the larger of the two directions bounded separately (subsampledDirections.ts): removal at
 *     ceil(alpha) (exact binomial expansion, coefficient 1: MTZ's form), addition at alpha
 *     (second-order bound with chi^2 <= e^{2 rho} - 1);
 * the last two for alpha <= MAX_SUBSAMPLED_ORDER, at ceil(alpha) where integer orders are needed
 * (valid at alpha: D_alpha is non-decreasing in alpha, van Erven & Harremoes 2014, Thm 3).
 * Returned as an RDP part (rho = 0) so that it composes with zCDP charges by composeLosses.
 */
export function subsampledZcdpLoss(q: number, rho: number): PrivacyLoss {
  checkPrivacyNumber(rho, 'rho');
  if (!(q >= 0 && q <= 1)) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `sampling rate must be in [0, 1], got ${q}`);
  if (q === 0 || rho === 0) return rdpLoss(RDP_ORDERS.map(() => 0));
  const cache = new Map<number, { zw: number; removal: number }>();
  const eps = (l: number): number => rho * l;
  const curve = RDP_ORDERS.map((alpha) => {
    const plain = rho * alpha;
    const a = Math.max(2, Math.ceil(alpha));
    if (a > MAX_SUBSAMPLED_ORDER || q === 1) return plain;
    let at = cache.get(a);
    if (at === undefined) {
      at = { zw: poissonSubsampledRdpAtInteger(q, a, eps), removal: removalRdpAtInteger(q, a, eps) };
      cache.set(a, at);
    }
    return Math.min(plain, at.zw, Math.max(at.removal, additionRdpBound(q, alpha, 2 * rho)));
  });
  return rdpLoss(curve);
}
