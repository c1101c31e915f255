// consistentOneWays: released noisy 1-way counts (one vector per column, equal noise per cell) made
// consistent: one total for all columns, each column a probability vector (least squares on the simplex).
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** The common total N_hat and each column's probabilities (non-negative, summing to 1). */
export interface ConsistentOneWays {
  readonly total: number;
  readonly probabilities: readonly Float64Array[];
}

/**
 * Post-processing of noisy 1-way marginals y_j (independent noise of one variance per cell):
 * - total: column j's sum estimates N with variance |dom j| s^2, so the inverse-variance weighted
 *   mean N_hat = sum_j (S_j / |dom j|) / sum_j (1 / |dom j|) is the least-variance unbiased combination;
 * - each column: the least-squares fit to y_j among non-negative vectors summing to N_hat, i.e. the
 *   Euclidean projection onto that scaled simplex, x = max(0, y - tau) with tau chosen so that
 *   sum x = N_hat (Held, Wolfe & Crowder 1974; Duchi et al. 2008, Fig. 1). The projection is what
 *   Private-PGM's estimate does for one marginal alone; it removes the mass that clamping negative
 *   cells at 0 adds to empty codes. Divided by N_hat.
 * No data is read: a function of the release only.
 */
export function consistentOneWays(counts: readonly ArrayLike<number>[]): ConsistentOneWays {
  if (counts.length === 0 || counts.some((c) => c.length === 0)) throw new FedsynthError(ErrorCode.InvalidArgument, 'consistentOneWays: every column needs at least one count');
  let num = 0;
  let den = 0;
  for (const c of counts) {
    let s = 0;
    for (let k = 0; k < c.length; k++) {
      if (!Number.isFinite(c[k])) throw new FedsynthError(ErrorCode.InvalidArgument, 'consistentOneWays: a count is not finite');
      s += c[k];
    }
    num += s / c.length;
    den += 1 / c.length;
  }
  const total = Math.max(1, num / den);
  return { total, probabilities: counts.map((c) => projectToSimplex(c, total).map((v) => v / total)) };
}

/** argmin ||x - y||_2 over x >= 0, sum x = total (sort-based, O(n log n)). */
export function projectToSimplex(y: ArrayLike<number>, total: number): Float64Array {
  const sorted = Float64Array.from(y).sort().reverse();
  let cumulative = 0;
  let tau = 0;
  for (let k = 0; k < sorted.length; k++) {
    cumulative += sorted[k];
    const t = (cumulative - total) / (k + 1);
    if (sorted[k] - t > 0) tau = t;
  }
  return Float64Array.from(y, (v) => Math.max(0, v - tau));
}
