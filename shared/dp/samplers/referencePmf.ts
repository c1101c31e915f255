// referencePmf: floating-point reference pmfs of the noise laws, for statistical checks only.
// Never used to draw noise (the samplers are exact); used to test and audit them.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';

/** N_Z(0, sigma2): exp(-y^2 / (2 sigma2)) / sum_z exp(-z^2 / (2 sigma2)). */
export function discreteGaussianPmf(sigma2: number): (y: number) => number {
  const r = Math.ceil(Math.sqrt(sigma2) * 40 + 10);
  let z = 0;
  for (let y = -r; y <= r; y++) z += Math.exp((-y * y) / (2 * sigma2));
  return (y) => Math.exp((-y * y) / (2 * sigma2)) / z;
}

/** Discrete Laplace with scale b: (1 - e^(-1/b)) / (1 + e^(-1/b)) e^(-|y|/b). */
export function discreteLaplacePmf(scale: number): (y: number) => number {
  const q = Math.exp(-1 / scale);
  return (y) => ((1 - q) / (1 + q)) * q ** Math.abs(y);
}

/** Variance of the discrete Laplace with scale b: 2 q / (1 - q)^2, q = e^(-1/b). */
export function discreteLaplaceVariance(scale: number): number {
  const q = Math.exp(-1 / scale);
  return (2 * q) / (1 - q) ** 2;
}

/** The scale b whose discrete Laplace has the given variance (inverse of the above, by bisection). */
export function discreteLaplaceScaleForVariance(variance: number): number {
  if (!(variance > 0 && Number.isFinite(variance))) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'variance must be > 0');
  let lo = 1e-3;
  let hi = Math.max(1, Math.sqrt(variance) * 2);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (discreteLaplaceVariance(mid) < variance) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Skellam(mu, mu) = difference of two Poisson(mu): computed by convolving Poisson pmfs. */
export function skellamPmf(variance: number): (y: number) => number {
  const mu = variance / 2;
  const k = Math.ceil(mu + 40 * Math.sqrt(mu + 1) + 20);
  const pois = new Float64Array(k + 1);
  pois[0] = Math.exp(-mu);
  for (let i = 1; i <= k; i++) pois[i] = (pois[i - 1] * mu) / i;
  return (y) => {
    const a = Math.abs(y);
    let s = 0;
    for (let j = 0; j + a <= k; j++) s += pois[j] * pois[j + a];
    return s;
  };
}
