// subsampledDirections: RDP of a Poisson-subsampled mechanism bounded direction by direction: removal by
// the exact binomial expansion, addition by a second-order Taylor bound (both for any base mechanism).
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { logAddExp } from './logMath.js';

/**
 * REMOVAL direction, integer alpha >= 2. Fix the sample T of the other records: the subsampled
 * mechanism on S + x is the mixture (1-q) P + q Q with P = M(T), Q = M(T + x); on S it is P. Expanding
 * (1 - q + q r)^alpha, r = Q/P, binomially (all terms >= 0):
 *   E_P[((1-q) + q r)^alpha] = sum_k C(alpha,k) (1-q)^{alpha-k} q^k E_P[r^k],
 *   E_P[r^k] = exp((k-1) D_k(Q || P)) <= exp((k-1) eps(k)),
 * so D_alpha((1-q)P + qQ || P) <= 1/(alpha-1) log sum_k C(alpha,k) (1-q)^{alpha-k} q^k e^{(k-1) eps(k)}
 * (MTZ 2019's A_alpha when eps(k) = k / (2 sigma^2)). The outputs on S and S + x are mixtures over T
 * with the same law, and exp((alpha-1) D_alpha) is jointly convex (van Erven & Harremoes 2014,
 * Thm 13: D_alpha jointly quasi-convex), so the bound for every fixed T bounds the mixture.
 */
export function removalRdpAtInteger(q: number, alpha: number, eps: (order: number) => number): number {
  if (!(q >= 0 && q <= 1) || !Number.isInteger(alpha) || alpha < 2) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `removal bound: need 0 <= q <= 1 and an integer alpha >= 2; got q=${q}, alpha=${alpha}`);
  }
  if (q === 0) return 0;
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  const mul = (k: number, l: number): number => (k === 0 ? 0 : k * l);
  let logC = 0;
  let acc = -Infinity;
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logC += Math.log(alpha - k + 1) - Math.log(k);
    acc = logAddExp(acc, logC + mul(k, lq) + mul(alpha - k, l1q) + (k >= 2 ? (k - 1) * eps(k) : 0));
  }
  return Math.max(0, acc / (alpha - 1));
}

/**
 * ADDITION direction, any real alpha > 1: D_alpha(P || (1-q)P + qQ) = 1/(alpha-1) log E_P[(1+x)^{-m}]
 * with m = alpha - 1, x = q (r - 1) >= -q, r = Q/P (Q << P, as D_2(Q||P) < inf). Write
 * (1+x)^{-m} = 1 - m x + h(x) x^2 with h(x) = sum_{j>=2} C(m+j-1, j) (-x)^{j-2} (binomial series,
 * |x| < 1): for x in [-q, 0] every term is >= 0 and grows with |x|, so h(x) <= h(-q); for x >= 0 the
 * second derivative m (m+1) (1+x)^{-(m+2)} is at most its value at 0, so h(x) <= m (m+1) / 2 = h(0)
 * <= h(-q). Hence (1+x)^{-m} <= 1 - m x + h(-q) x^2 with h(-q) q^2 = (1-q)^{-m} - 1 - m q, and with
 * E_P[x] = 0, E_P[x^2] = q^2 chi^2(Q||P) = q^2 (e^{D_2(Q||P)} - 1) <= q^2 (e^{eps(2)} - 1):
 *   E_P[(P/M)^m] <= 1 + ((1-q)^{-(alpha-1)} - 1 - (alpha-1) q) (e^{eps(2)} - 1).
 * Also P/M = 1/(1 - q + q r) <= 1/(1-q), so E_P[(P/M)^m] <= (1-q)^{-(alpha-1)}. The smaller of the two.
 * The same mixture argument over the other records' sample applies.
 */
export function additionRdpBound(q: number, alpha: number, eps2: number): number {
  if (!(q >= 0 && q < 1) || !(alpha > 1) || !(eps2 >= 0)) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `addition bound: need 0 <= q < 1, alpha > 1, eps(2) >= 0; got q=${q}, alpha=${alpha}, eps2=${eps2}`);
  }
  if (q === 0) return 0;
  const m = alpha - 1;
  const trivial = -m * Math.log1p(-q);
  const h = hMinusQ(q, m);
  const taylor = Math.log1p(h * Math.expm1(eps2));
  return Math.min(taylor, trivial) / m;
}

/**
 * (1-q)^{-m} - 1 - m q = sum_{j>=2} C(m+j-1, j) q^j. Summed term by term (all terms > 0, no
 * cancellation) while m q < 1/2, where the ratio of successive terms is below 3/4 after j = 2;
 * otherwise expm1(-m log(1-q)) - m q, whose cancellation is then harmless.
 */
function hMinusQ(q: number, m: number): number {
  if (m * q >= 0.5) return Math.expm1(-m * Math.log1p(-q)) - m * q;
  let term = ((m * (m + 1)) / 2) * q * q;
  let sum = 0;
  for (let j = 2; j < 10_000 && term > 1e-18 * sum; j++) {
    sum += term;
    term *= ((m + j) / (j + 1)) * q;
  }
  return sum;
}
