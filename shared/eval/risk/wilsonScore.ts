// wilsonScore: the Wilson score estimate of an attack's success rate and its symmetric error bound
// (E. B. Wilson, JASA 22, 1927), the estimator Anonymeter uses for every attack (Giomi et al. 2023).
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import { normalQuantile } from './normalQuantile.js';

/** Success rate of `successes` out of `trials`: the Wilson centre and half-width at `confidence`. */
export interface SuccessRate {
  readonly trials: number;
  readonly successes: number;
  /** Wilson centre (n_s + z²/2) / (n + z²): a shrunk MLE, robust near 0 and 1. */
  readonly rate: number;
  /** Half-width z/(n + z²) · sqrt(n_s (n − n_s)/n + z²/4). */
  readonly error: number;
  /** [rate − error, rate + error] clamped to [0, 1]. */
  readonly ci: readonly [number, number];
}

/**
 * Wilson score interval. `successes` may be fractional (a size-corrected control count) but must lie
 * in [0, trials]; `confidence` in (0, 1), default 0.95.
 */
export function wilsonScore(trials: number, successes: number, confidence = 0.95): SuccessRate {
  if (!Number.isInteger(trials) || trials < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `wilsonScore: trials must be a positive integer, got ${trials}`);
  if (!(successes >= 0 && successes <= trials)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `wilsonScore: successes must be in [0, ${trials}], got ${successes}`);
  }
  if (!(confidence > 0 && confidence < 1)) throw new FedsynthError(ErrorCode.InvalidArgument, `wilsonScore: confidence must be in (0, 1), got ${confidence}`);
  const z = normalQuantile(0.5 * (1 + confidence));
  const z2 = z * z;
  const denom = trials + z2;
  const rate = (successes + z2 / 2) / denom;
  const error = (z / denom) * Math.sqrt((successes * (trials - successes)) / trials + z2 / 4);
  return { trials, successes, rate, error, ci: [clamp01(rate - error), clamp01(rate + error)] };
}

export function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
