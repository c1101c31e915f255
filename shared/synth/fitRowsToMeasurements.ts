// fitRowsToMeasurements: post-processing of synthetic rows — record-level local search that lowers
// the noise-weighted L2 loss of the rows' marginals against released noisy marginals.
import type { Domain } from '../pgm/Domain.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

export interface RowFitOptions {
  /** Full passes over every (row, column) (default 4); a pass that improves nothing stops early. */
  readonly sweeps?: number;
  /** The number of records the measurements describe (their noisy total); targets are scaled by rows / total. */
  readonly total: number;
  /** Visiting order of the rows (a fresh permutation per sweep). */
  readonly rng: RandomSource;
}

export interface RowFitResult {
  /** Weighted L2 loss Σ_m ||c_m − t_m||² / σ_m² before and after (t, σ scaled to the rows). */
  readonly lossBefore: number;
  readonly lossAfter: number;
  /** Cell changes applied and sweeps run. */
  readonly moves: number;
  readonly sweeps: number;
}

/**
 * Changes `columns` (one Int32Array of codes per domain column, all of one length n) in place so
 * that the counts of the rows over each measured set move toward its noisy counts: greedy
 * coordinate descent on L(X) = Σ_m Σ_cells (c_m(X) − t_m)² / σ_m², the loss Private-PGM's
 * estimator minimises over its graphical models (McKenna, Sheldon, Miklau 2019), here minimised
 * over data sets of n rows — the model class of RAP (Aydore et al. 2021, "Differentially Private
 * Query Release Through Adaptive Projection") and GEM (Liu et al. 2021), searched record by record
 * instead of by gradients on a relaxation. t_m = y_m · n / total and σ_m · n / total put the
 * measurements on the rows' scale. Each step takes one cell (row r, column j) to the value that
 * lowers L most: moving r from cell o to o' of marginal m changes L by
 * 2·((c_{o'} − t_{o'}) − (c_o − t_o) + 1) / σ_m², so a step costs |dom j| · #{m ∋ j} · |m| and L
 * never rises. Uses nothing but the rows and the released measurements: post-processing.
 */
export function fitRowsToMeasurements(domain: Domain, columns: Int32Array[], measurements: readonly Measurement[], opts: RowFitOptions): RowFitResult {
  const d = domain.attrs.length;
  if (columns.length !== d) throw new FedsynthError(ErrorCode.InvalidArgument, 'fitRowsToMeasurements: one column per domain attribute', { columns: columns.length, attrs: d });
  const n = columns[0]?.length ?? 0;
  if (!(opts.total > 0)) throw new FedsynthError(ErrorCode.InvalidArgument, 'fitRowsToMeasurements: total must be positive', { total: opts.total });
  const scale = n / opts.total;
  const shape = domain.attrs.map((a) => domain.sizeOf(a));
  // Per measurement: its columns, row-major strides (first attribute slowest), weight 1/σ², and the
  // residual r = c − t in counts of the rows.
  const mAttrs: Int32Array[] = [];
  const mStrides: Int32Array[] = [];
  const weights: number[] = [];
  const residuals: Float64Array[] = [];
  // Per column: the measurements holding it and the column's stride in each.
  const byColumn: { m: number; stride: number }[][] = Array.from({ length: d }, () => []);
  for (const meas of measurements) {
    const idx = Int32Array.from(meas.attrs, (a) => domain.indexOf(a));
    const strides = new Int32Array(idx.length);
    let s = 1;
    for (let k = idx.length - 1; k >= 0; k--) {
      strides[k] = s;
      s *= shape[idx[k]];
    }
    if (s !== meas.values.length) throw new FedsynthError(ErrorCode.InvalidArgument, 'fitRowsToMeasurements: measurement has the wrong number of cells', { attrs: [...meas.attrs] });
    const m = mAttrs.length;
    mAttrs.push(idx);
    mStrides.push(strides);
    const sigma = meas.stddev * scale;
    weights.push(1 / (sigma * sigma));
    const r = new Float64Array(s);
    for (let k = 0; k < s; k++) r[k] = -meas.values[k] * scale;
    residuals.push(r);
    idx.forEach((j, k) => byColumn[j].push({ m, stride: strides[k] }));
  }
  const cellOf = (m: number, row: number): number => {
    const idx = mAttrs[m];
    const st = mStrides[m];
    let o = 0;
    for (let k = 0; k < idx.length; k++) o += columns[idx[k]][row] * st[k];
    return o;
  };
  for (let m = 0; m < mAttrs.length; m++) for (let row = 0; row < n; row++) residuals[m][cellOf(m, row)] += 1;
  const loss = (): number => {
    let sum = 0;
    for (let m = 0; m < residuals.length; m++) {
      let q = 0;
      for (const v of residuals[m]) q += v * v;
      sum += q * weights[m];
    }
    return sum;
  };
  const lossBefore = loss();
  const maxSweeps = opts.sweeps ?? 4;
  const order = Int32Array.from({ length: n }, (_, k) => k);
  const cells = new Int32Array(measurements.length);
  let moves = 0;
  let sweeps = 0;
  for (; sweeps < maxSweeps; ) {
    for (let k = n - 1; k > 0; k--) {
      const t = uniformInt(opts.rng, k + 1);
      const tmp = order[k];
      order[k] = order[t];
      order[t] = tmp;
    }
    let sweepMoves = 0;
    for (const row of order) {
      for (let j = 0; j < d; j++) {
        const list = byColumn[j];
        if (list.length === 0) continue;
        const x = columns[j][row];
        for (let q = 0; q < list.length; q++) cells[q] = cellOf(list[q].m, row);
        let bestV = x;
        let bestDelta = 0;
        for (let v = 0; v < shape[j]; v++) {
          if (v === x) continue;
          let delta = 0;
          for (let q = 0; q < list.length; q++) {
            const { m, stride } = list[q];
            const r = residuals[m];
            const o = cells[q];
            delta += weights[m] * (r[o + (v - x) * stride] - r[o] + 1);
          }
          if (delta < bestDelta) {
            bestDelta = delta;
            bestV = v;
          }
        }
        if (bestV === x) continue;
        for (let q = 0; q < list.length; q++) {
          const { m, stride } = list[q];
          residuals[m][cells[q]] -= 1;
          residuals[m][cells[q] + (bestV - x) * stride] += 1;
        }
        columns[j][row] = bestV;
        sweepMoves++;
      }
    }
    sweeps++;
    moves += sweepMoves;
    if (sweepMoves === 0) break;
  }
  return { lossBefore, lossAfter: loss(), moves, sweeps };
}
