// reweightRows: post-processing of rows drawn from a fitted model — entropic mirror descent on
// per-row weights against released noisy marginals, then systematic resampling by those weights.
import type { Domain } from '../pgm/Domain.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat } from '../dp/random/uniform.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

export interface ReweightOptions {
  /** The noisy total the measurements describe; the weights sum to it. */
  readonly total: number;
  /** Mirror-descent iterations (default 200). */
  readonly iters?: number;
  /**
   * Stop before the weights' effective sample size (Σw)² / Σw² falls below this (default 0: no
   * floor). Resampling m rows from weights of a smaller effective size repeats rows, and the
   * repeats add sampling noise to every marginal, measured or not.
   */
  readonly minEffectiveRows?: number;
}

export interface ReweightResult {
  /** One weight per row, summing to `total`. */
  readonly weights: Float64Array;
  /** Noise-weighted L2 loss Σ_m ||c_m − y_m||² / σ_m² at uniform weights and at the end. */
  readonly lossBefore: number;
  readonly lossAfter: number;
  /** (Σw)² / Σw² of the returned weights (n at uniform weights). */
  readonly effectiveRows: number;
  /** Iterations accepted. */
  readonly iters: number;
}

/**
 * Weights w (Σ w = total) for the `columns` rows (one Int32Array of codes per domain column) that
 * lower L(w) = Σ_m ||A_m w − y_m||² / σ_m², the loss Private-PGM's estimator minimises (McKenna,
 * Sheldon, Miklau 2019), where A_m w are the weighted counts of the rows over measured set m.
 * Entropic mirror descent from uniform weights: w ← w · exp(−η ∇L), ∇L(r) = 2 Σ_m (A_m w − y_m)
 * [cell_m(r)] / σ_m², so log w stays uniform plus a sum of one function of each measured set's
 * cell: the rows are an importance sample of the model tilted by a Markov random field over the
 * measured sets (the factors the model could not hold, e.g. sets outside its junction tree), and
 * among weightings of that form the descent moves from the model (maximum entropy relative to it)
 * toward the measurements. Step: backtracking on L (halve until L falls, then grow by 1.25).
 * Memory: one Int32Array of cell indices per measurement (rows × measurements × 4 bytes).
 * Uses nothing but the rows and the released measurements: post-processing.
 */
export function reweightRows(domain: Domain, columns: readonly Int32Array[], measurements: readonly Measurement[], opts: ReweightOptions): ReweightResult {
  const n = columns[0]?.length ?? 0;
  if (columns.length !== domain.attrs.length) throw new FedsynthError(ErrorCode.InvalidArgument, 'reweightRows: one column per domain attribute', { columns: columns.length });
  if (!(opts.total > 0)) throw new FedsynthError(ErrorCode.InvalidArgument, 'reweightRows: total must be positive', { total: opts.total });
  const cellIdx = measurements.map((m) => {
    if (m.values.length !== domain.size(m.attrs)) throw new FedsynthError(ErrorCode.InvalidArgument, 'reweightRows: measurement has the wrong number of cells', { attrs: [...m.attrs] });
    const idx = new Int32Array(n);
    for (const a of m.attrs) {
      const col = columns[domain.indexOf(a)];
      const size = domain.sizeOf(a);
      for (let r = 0; r < n; r++) idx[r] = idx[r] * size + col[r];
    }
    return idx;
  });
  const inv = measurements.map((m) => 1 / (m.stddev * m.stddev));
  const residuals = measurements.map((m) => new Float64Array(m.values.length));
  /** Fills `residuals` for weights w and returns the loss. */
  const lossAt = (w: Float64Array): number => {
    let sum = 0;
    measurements.forEach((m, k) => {
      const res = residuals[k];
      for (let c = 0; c < res.length; c++) res[c] = -m.values[c];
      const idx = cellIdx[k];
      for (let r = 0; r < n; r++) res[idx[r]] += w[r];
      let q = 0;
      for (let c = 0; c < res.length; c++) q += res[c] * res[c];
      sum += q * inv[k];
    });
    return sum;
  };
  let w = new Float64Array(n).fill(opts.total / Math.max(1, n));
  const lossBefore = lossAt(w);
  let loss = lossBefore;
  const effective = (v: Float64Array): number => {
    let q = 0;
    for (const x of v) q += x * x;
    return (opts.total * opts.total) / q;
  };
  if (n === 0 || measurements.length === 0) return { weights: w, lossBefore, lossAfter: loss, effectiveRows: n, iters: 0 };
  const minEff = opts.minEffectiveRows ?? 0;
  // ℓ1-smoothness of L on the simplex of mass `total`: 2·Σ_m 1/σ_m² per unit of mass squared.
  let eta = 1 / (2 * opts.total * inv.reduce((a, b) => a + b, 0));
  const grad = new Float64Array(n);
  const logW = new Float64Array(n).fill(Math.log(opts.total / n));
  const trial = new Float64Array(n);
  const trialLog = new Float64Array(n);
  const iters = opts.iters ?? 200;
  let it = 0;
  for (; it < iters; it++) {
    grad.fill(0);
    residuals.forEach((res, k) => {
      const idx = cellIdx[k];
      const s = 2 * inv[k];
      for (let r = 0; r < n; r++) grad[r] += s * res[idx[r]];
    });
    let accepted = false;
    for (let tries = 0; tries < 30 && !accepted; tries++) {
      let max = -Infinity;
      for (let r = 0; r < n; r++) {
        trialLog[r] = logW[r] - eta * grad[r];
        if (trialLog[r] > max) max = trialLog[r];
      }
      let z = 0;
      for (let r = 0; r < n; r++) z += Math.exp(trialLog[r] - max);
      const shift = Math.log(opts.total / z) - max;
      for (let r = 0; r < n; r++) {
        trialLog[r] += shift;
        trial[r] = Math.exp(trialLog[r]);
      }
      // A step below the effective-size floor is rejected as one that raises the loss.
      if (minEff > 0 && effective(trial) < minEff) {
        eta /= 2;
        continue;
      }
      const l = lossAt(trial);
      if (l < loss) {
        loss = l;
        logW.set(trialLog);
        w = Float64Array.from(trial);
        eta *= 1.25;
        accepted = true;
      } else eta /= 2;
    }
    if (!accepted) {
      lossAt(w);
      break;
    }
  }
  return { weights: w, lossBefore, lossAfter: loss, effectiveRows: effective(w), iters: it };
}

/**
 * `count` rows drawn from `columns` in proportion to `weights` by systematic resampling (one
 * uniform offset, then evenly spaced points on the cumulative weights): each row appears
 * floor or ceil of count · w_r / Σw times. Returns new columns.
 */
export function resampleRows(columns: readonly Int32Array[], weights: Float64Array, count: number, rng: RandomSource): Int32Array[] {
  let total = 0;
  for (const v of weights) total += v;
  if (!(total > 0)) throw new FedsynthError(ErrorCode.InvalidArgument, 'resampleRows: weights must have a positive sum', { total });
  const out = columns.map(() => new Int32Array(count));
  const step = total / count;
  let u = uniformFloat(rng) * step;
  let acc = 0;
  let r = 0;
  for (let k = 0; k < count; k++) {
    while (r < weights.length - 1 && acc + weights[r] <= u) acc += weights[r++];
    for (let j = 0; j < columns.length; j++) out[j][k] = columns[j][r];
    u += step;
  }
  return out;
}
