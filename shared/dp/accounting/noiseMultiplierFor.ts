// noiseMultiplierFor: the smallest Gaussian noise multiplier z = sigma / Delta_2 meeting (epsilon, delta)
// after `steps` Poisson-subsampled steps at rate q, by bisection on the monotone map z -> epsilon.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkDelta, checkPrivacyNumber } from './checkPrivacyNumber.js';
import { RDP_ORDERS, repeatLoss, rdpLoss, type PrivacyLoss } from './PrivacyLoss.js';
import { epsilonFromLoss } from './rdpConversion.js';
import { MAX_SUBSAMPLED_ORDER, subsampledZcdpLoss } from './poissonSubsampledRdp.js';
import { sampledGaussianRdp } from './sampledGaussianRdp.js';

/**
 * Which per-step bound is used:
 * - 'subsampled-zcdp': the base mechanism is only known to be rho-zCDP with rho = 1 / (2 z^2) (the
 *   summed discrete Gaussian of the gradient path, KLS 2021), amplified by Poisson sampling with
 *   bounds valid for any mechanism (subsampledZcdpLoss). What the gradient path charges.
 * - 'sampled-gaussian': the exact RDP of the continuous sampled Gaussian (Mironov, Talwar, Zhang
 *   2019), the reference of TF-Privacy and Opacus; tighter, valid for the continuous Gaussian only.
 */
export type SubsampledBound = 'subsampled-zcdp' | 'sampled-gaussian';

/** Per-step loss of noise multiplier z at sampling rate q under the chosen bound. */
export function subsampledGaussianStepLoss(q: number, z: number, bound: SubsampledBound = 'subsampled-zcdp'): PrivacyLoss {
  checkPrivacyNumber(z, 'noise multiplier', true);
  if (bound === 'subsampled-zcdp') return subsampledZcdpLoss(q, 1 / (2 * z * z));
  // MTZ on the grid; above MAX_SUBSAMPLED_ORDER the unamplified Gaussian alpha / (2 z^2) (always valid).
  return rdpLoss(RDP_ORDERS.map((alpha) => (alpha > MAX_SUBSAMPLED_ORDER ? alpha / (2 * z * z) : Math.min(alpha / (2 * z * z), sampledGaussianRdp(q, z, alpha)))));
}

export interface NoiseMultiplierRequest {
  readonly epsilon: number;
  readonly delta: number;
  /** Poisson sampling rate q in (0, 1]. */
  readonly sampleRate: number;
  /** Number of subsampled steps (rounds) composed. */
  readonly steps: number;
  readonly bound?: SubsampledBound;
  /** Relative precision of the bisection (default 1e-6); the result is always on the safe side. */
  readonly tolerance?: number;
}

/** epsilon at `delta` of `steps` composed steps with noise multiplier z. */
export function epsilonOfSubsampledGaussian(req: Omit<NoiseMultiplierRequest, 'epsilon' | 'tolerance'> & { readonly noiseMultiplier: number }): number {
  return epsilonFromLoss(repeatLoss(subsampledGaussianStepLoss(req.sampleRate, req.noiseMultiplier, req.bound), req.steps), req.delta);
}

/**
 * The smallest z (up to `tolerance`, rounded up) with epsilonOfSubsampledGaussian(z) <= epsilon.
 * epsilon is non-increasing in z (every per-order bound is), so bisection applies; the returned z
 * is re-checked.
 */
export function noiseMultiplierFor(req: NoiseMultiplierRequest): number {
  // A pure function of its numbers, asked again by the coordinator and every agent each gradient
  // round (planGradientRound, re-derived at each party): memoised, only successful results.
  const key = `${req.epsilon}|${req.delta}|${req.sampleRate}|${req.steps}|${req.bound ?? ''}|${req.tolerance ?? ''}`;
  const hit = multiplierCache.get(key);
  if (hit !== undefined) return hit;
  const z = searchNoiseMultiplier(req);
  if (multiplierCache.size >= CACHE_SIZE) multiplierCache.clear();
  multiplierCache.set(key, z);
  return z;
}

const multiplierCache = new Map<string, number>();
const CACHE_SIZE = 1024;

function searchNoiseMultiplier(req: NoiseMultiplierRequest): number {
  const epsilon = checkPrivacyNumber(req.epsilon, 'epsilon', true);
  checkDelta(req.delta);
  const q = req.sampleRate;
  if (!(q > 0 && q <= 1)) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `sampleRate must be in (0, 1], got ${q}`, { parameter: 'sampleRate' });
  if (!Number.isInteger(req.steps) || req.steps < 1) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `steps must be an integer >= 1, got ${req.steps}`, { parameter: 'steps' });
  const tol = req.tolerance ?? 1e-6;
  const eps = (z: number): number => epsilonOfSubsampledGaussian({ delta: req.delta, sampleRate: q, steps: req.steps, bound: req.bound, noiseMultiplier: z });
  let lo = 1e-3;
  let hi = 1;
  while (eps(hi) > epsilon) {
    lo = hi;
    hi *= 2;
    if (hi > 1e9) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'no noise multiplier up to 1e9 meets the target', { epsilon, delta: req.delta });
  }
  if (eps(lo) <= epsilon) return lo;
  while (hi - lo > tol * hi) {
    const mid = (lo + hi) / 2;
    if (eps(mid) <= epsilon) hi = mid;
    else lo = mid;
  }
  if (!(eps(hi) <= epsilon)) throw new FedsynthError(ErrorCode.Internal, 'noiseMultiplierFor: verification failed');
  return hi;
}
