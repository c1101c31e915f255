// dpQuantileEdges: differentially private bin edges from quantiles over a PUBLIC range, by the
// exponential mechanism of Smith 2011 ("Privacy-preserving statistical estimation with optimal
// convergence rates", STOC), each quantile charged through exponentialMechanismRho (zCDP).
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat } from '../dp/random/uniform.js';
import { exponentialMechanismEpsilon, exponentialMechanismRho } from '../dp/mechanisms/exponentialMechanismRho.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** A value histogram: distinct values ascending, with their counts. */
export type ValueHistogram = readonly { readonly value: number; readonly count: number }[];

/**
 * One DP q-quantile of the data (values clipped to the public range [lo, hi]). With data sorted
 * x_1 <= ... <= x_n, x_0 = lo, x_{n+1} = hi, the interval [x_k, x_{k+1}) is chosen with probability
 * proportional to (x_{k+1} - x_k) * exp(-epsilon |k - q n| / 2) (the rank utility has sensitivity 1
 * under adding or removing a row), then a point is drawn uniformly in it (Smith 2011). It is
 * epsilon-DP, hence epsilon^2/8-zCDP (Cesar & Rogers 2021). Sampling uses 53-bit floats: fine for
 * choosing public bin edges, not a hardened noise sampler.
 */
export function dpQuantile(hist: ValueHistogram, q: number, lo: number, hi: number, epsilon: number, rng: RandomSource): number {
  if (!(q >= 0 && q <= 1) || !(lo < hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `dpQuantile: need 0 <= q <= 1 and finite lo < hi (q=${q}, lo=${lo}, hi=${hi})`);
  }
  exponentialMechanismRho(epsilon); // rejects negative, NaN, infinite epsilon
  // Clip to [lo, hi] and merge: points p_0 = lo < ... < p_m = hi with the rank k_j = #values <= p_j.
  const points: number[] = [lo];
  const ranks: number[] = [0];
  let n = 0;
  for (const { value, count } of hist) {
    const v = Math.min(Math.max(value, lo), hi);
    n += count;
    if (v === points[points.length - 1]) ranks[ranks.length - 1] = n;
    else {
      points.push(v);
      ranks.push(n);
    }
  }
  if (points[points.length - 1] !== hi) {
    points.push(hi);
    ranks.push(n);
  }
  // Interval j = [points[j], points[j+1]) holds rank ranks[j] (values strictly below its right end).
  const logw: number[] = [];
  let max = -Infinity;
  for (let j = 0; j + 1 < points.length; j++) {
    const w = Math.log(points[j + 1]! - points[j]!) - (epsilon * Math.abs(ranks[j]! - q * n)) / 2;
    logw.push(w);
    if (w > max) max = w;
  }
  const weights = logw.map((w) => Math.exp(w - max));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = uniformFloat(rng) * total;
  let j = 0;
  while (j < weights.length - 1 && u >= weights[j]!) u -= weights[j++]!;
  return points[j]! + uniformFloat(rng) * (points[j + 1]! - points[j]!);
}

export interface DpEdges {
  readonly edges: number[];
  /** zCDP cost spent: (bins - 1) quantiles at epsilon each, epsilon^2/8 per quantile. */
  readonly rho: number;
}

/**
 * Bin edges [lo, q_1, ..., q_{bins-1}, hi] from DP quantiles at i/bins, spending `rho` in total
 * (split evenly; the split is this function's own budget, reported back). `integer` rounds edges
 * and drops duplicates (fewer bins may result).
 */
export function dpQuantileEdges(hist: ValueHistogram, lo: number, hi: number, bins: number, rho: number, rng: RandomSource, integer = false): DpEdges {
  if (!Number.isInteger(bins) || bins < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `bins must be a positive integer, got ${bins}`);
  if (bins === 1) return { edges: [lo, hi], rho: 0 };
  const epsilon = exponentialMechanismEpsilon(rho / (bins - 1));
  const qs: number[] = [];
  for (let i = 1; i < bins; i++) qs.push(dpQuantile(hist, i / bins, lo, hi, epsilon, rng));
  const inner = qs.map((x) => (integer ? Math.round(x) : Number(x.toPrecision(6)))).sort((a, b) => a - b);
  const edges = [lo, ...inner, hi].filter((e, i, a) => i === 0 || e > a[i - 1]!);
  if (edges[edges.length - 1] !== hi) edges[edges.length - 1] = hi;
  return { edges, rho: (bins - 1) * exponentialMechanismRho(epsilon) };
}
