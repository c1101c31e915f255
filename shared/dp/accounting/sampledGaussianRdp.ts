// sampledGaussianRdp: the exact Renyi DP of the Poisson-subsampled continuous Gaussian mechanism (SGM).
// Mironov, Talwar, Zhang 2019, "Renyi Differential Privacy of the Sampled Gaussian Mechanism", Sec. 3.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { logAddExp, logErfc, logSubExp } from './logMath.js';

/**
 * log A_alpha, where (MTZ 2019, Sec. 3; sensitivity 1, noise N(0, sigma^2), sampling rate q)
 *   A_alpha = E_{z ~ mu0} [ (mu(z) / mu0(z))^alpha ],  mu0 = N(0, sigma^2),  mu = (1-q) mu0 + q N(1, sigma^2),
 * the Renyi moment of the removal direction; eps(alpha) = log(A_alpha) / (alpha - 1) is the value
 * TF-Privacy and Opacus publish for the SGM (the addition direction B_alpha is treated for the
 * continuous Gaussian in MTZ 2019; we use this curve only as the continuous reference and in tests,
 * never to charge the discrete mechanism: see poissonSubsampledRdp).
 *
 * Integer alpha (MTZ Sec. 3.3, binomial expansion of (1 - q + q e^{(2z-1)/(2 sigma^2)})^alpha):
 *   A_alpha = sum_{k=0}^{alpha} C(alpha,k) (1-q)^{alpha-k} q^k exp((k^2 - k) / (2 sigma^2)).
 * Fractional alpha (MTZ Sec. 3.3): split the integral at z0 = sigma^2 log(1/q - 1) + 1/2, where
 * q e^{(2z-1)/(2 sigma^2)} = 1 - q, and expand the binomial series in the smaller term on each side
 * (it converges there); with E_k = exp((k^2 - k)/(2 sigma^2)) and mu0 e^{k(2z-1)/(2 sigma^2)} =
 * E_k N(k, sigma^2) each half-line integral is an erfc:
 *   A_alpha = sum_k C(alpha,k) (1-q)^{alpha-k} q^k     E_k       (1/2) erfc((k - z0) / (sqrt(2) sigma))
 *           + sum_k C(alpha,k) (1-q)^k     q^{alpha-k} E_{alpha-k} (1/2) erfc((z0 - (alpha-k)) / (sqrt(2) sigma)).
 * C(alpha,k) alternates in sign once k > alpha; terms are summed in log space with their sign and
 * the series is stopped when both terms fall below e^-40 of the running sum (and at least k > alpha).
 */
export function sampledGaussianLogA(q: number, sigma: number, alpha: number): number {
  checkArgs(q, sigma, alpha);
  if (q === 0) return 0;
  if (q === 1) return (alpha * (alpha - 1)) / (2 * sigma * sigma);
  return Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
}

/** eps(alpha) of the sampled Gaussian mechanism: log(A_alpha) / (alpha - 1) (MTZ 2019). */
export function sampledGaussianRdp(q: number, sigma: number, alpha: number): number {
  return Math.max(0, sampledGaussianLogA(q, sigma, alpha) / (alpha - 1));
}

function checkArgs(q: number, sigma: number, alpha: number): void {
  if (!(q >= 0 && q <= 1) || !(sigma > 0 && Number.isFinite(sigma)) || !(alpha > 1 && Number.isFinite(alpha))) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `sampled Gaussian: need 0 <= q <= 1, sigma > 0, alpha > 1 finite; got q=${q}, sigma=${sigma}, alpha=${alpha}`);
  }
}

function logAInteger(q: number, sigma: number, alpha: number): number {
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  let logC = 0; // log C(alpha, 0)
  let acc = -Infinity;
  for (let k = 0; k <= alpha; k++) {
    if (k > 0) logC += Math.log(alpha - k + 1) - Math.log(k);
    acc = logAddExp(acc, logC + k * lq + (alpha - k) * l1q + (k * k - k) / (2 * sigma * sigma));
  }
  return acc;
}

function logAFractional(q: number, sigma: number, alpha: number): number {
  const lq = Math.log(q);
  const l1q = Math.log1p(-q);
  const s2 = sigma * sigma;
  const z0 = s2 * Math.log(1 / q - 1) + 0.5;
  let pos = -Infinity;
  let neg = -Infinity;
  let logAbsC = 0; // log |C(alpha, k)|
  let sign = 1;
  for (let k = 0; ; k++) {
    if (k > 0) {
      const f = (alpha - k + 1) / k;
      logAbsC += Math.log(Math.abs(f));
      if (f < 0) sign = -sign;
    }
    const j = alpha - k;
    const t0 = logAbsC + k * lq + j * l1q + (k * k - k) / (2 * s2) + Math.log(0.5) + logErfc((k - z0) / (Math.SQRT2 * sigma));
    const t1 = logAbsC + j * lq + k * l1q + (j * j - j) / (2 * s2) + Math.log(0.5) + logErfc((z0 - j) / (Math.SQRT2 * sigma));
    const t = logAddExp(t0, t1);
    if (sign > 0) pos = logAddExp(pos, t);
    else neg = logAddExp(neg, t);
    const total = neg === -Infinity ? pos : pos + Math.log1p(-Math.exp(neg - pos));
    if (k > alpha && t < total - 40) break;
    if (k > 100000) throw new FedsynthError(ErrorCode.Internal, 'sampled Gaussian series did not converge');
  }
  return logSubExp(pos, neg);
}
