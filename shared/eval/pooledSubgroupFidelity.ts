// pooledSubgroupFidelity: consortium-wide subgroup shares and within-subgroup 1-way fidelity from the
// securely summed, noisy 2-way marginals (split column x every other column) of every silo.
//
// The release is an ordinary `marginals` round after delivery (L2 sensitivity sqrt(#pairs), one cell
// of each pair per record; docs/privacy.md "Pooled risk"). For a split column c, value v and another
// column a, the noisy counts M[v, ·] of the pair {c, a} give the subgroup's real distribution of a
// (negatives clamped to 0, normalised); its TV against the synthetic rows' distribution of a within
// c = v is averaged over a. The subgroup's size n_v is the mean over a of sum_a M[v, a] (each an
// unbiased estimate). Noise floor: the TV the noise alone puts between the noisy and the true
// distribution, about (1/2) |a| sigma sqrt(2/pi) / n_v (E|N(0, sigma^2)| per cell; capped at 1),
// averaged over a; a subgroup whose TV is near its floor cannot be judged from the pooled release.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { CodeTable } from './CodeTable.js';
import { marginalCounts } from './marginalCounts.js';

/** The attribute pairs (domain order, deduplicated) the release measures for the split columns. */
export function subgroupPairs(columns: readonly string[], split: readonly number[]): number[][] {
  const seen = new Set<string>();
  const out: number[][] = [];
  for (const c of split) {
    for (let a = 0; a < columns.length; a++) {
      if (a === c) continue;
      const pair = c < a ? [c, a] : [a, c];
      const key = pair.join(',');
      if (!seen.has(key)) {
        seen.add(key);
        out.push(pair);
      }
    }
  }
  return out;
}

export interface PooledSubgroup {
  readonly code: number;
  /** Noisy number of real rows in the subgroup (mean of the pairs' estimates), and its share. */
  readonly realRows: number;
  readonly realShare: number;
  readonly synthRows: number;
  readonly synthShare: number;
  /** Mean over the other columns of the TV within the subgroup (null: no rows on a side). */
  readonly tv1: number | null;
  /** Mean TV the noise alone gives at this size. */
  readonly noiseFloor1: number | null;
}

export interface PooledSubgroupColumn {
  readonly column: string;
  readonly groups: readonly PooledSubgroup[];
}

export interface PooledSubgroupFidelity {
  readonly columns: readonly PooledSubgroupColumn[];
  /** Standard deviation of the summed noise per count. */
  readonly noiseStddev: number;
  readonly pairs: number;
  readonly method: string;
}

export const POOLED_SUBGROUP_METHOD =
  'noisy 2-way marginals (split column x each other column) summed over the silos through secure aggregation; ' +
  'negatives clamped to 0 within a subgroup; tv1 = mean over the other columns of the TV within the subgroup; ' +
  'noiseFloor1 = mean of (1/2) cells sigma sqrt(2/pi) / n_v (capped at 1): below about twice it the figure is noise.';

/**
 * The figures from the noisy `sums` (one per pair of `subgroupPairs`, cell order of marginalCounts)
 * and the synthetic rows; `sigma` is the summed noise's standard deviation per count.
 */
export function pooledSubgroupFidelity(synth: CodeTable, split: readonly number[], sums: readonly ArrayLike<number>[], sigma: number): PooledSubgroupFidelity {
  const pairs = subgroupPairs(synth.columns, split);
  if (sums.length !== pairs.length) throw new FedsynthError(ErrorCode.InvalidArgument, `pooled subgroups: ${sums.length} marginals for ${pairs.length} pairs`);
  const sizes = synth.sizes;
  const byKey = new Map(pairs.map((p, i) => [p.join(','), i]));
  const columns = split.map((c) => {
    const others = synth.columns.map((_, a) => a).filter((a) => a !== c);
    // Per other column a: the noisy and the synthetic table of (c, a) as rows v of length |a|.
    const tables = others.map((a) => {
      const pair = c < a ? [c, a] : [a, c];
      const i = byKey.get(pair.join(','))!;
      if (sums[i].length !== sizes[c] * sizes[a]) throw new FedsynthError(ErrorCode.InvalidArgument, `pooled subgroups: marginal ${pair.join(',')} has ${sums[i].length} cells`);
      const synthCounts = marginalCounts(synth, pair);
      // cell of (v, x): c first when c < a (first attribute slowest)
      const at = (t: ArrayLike<number>, v: number, x: number) => (c < a ? t[v * sizes[a] + x] : t[x * sizes[c] + v]);
      return { a, at, noisy: sums[i], synthCounts };
    });
    const groups: PooledSubgroup[] = [];
    const synthRowsOf = (v: number) => {
      const t = tables[0];
      let n = 0;
      for (let x = 0; x < sizes[t.a]; x++) n += t.at(t.synthCounts, v, x);
      return n;
    };
    const estimates = Array.from({ length: sizes[c] }, (_, v) => tables.reduce((s, t) => s + Array.from({ length: sizes[t.a] }, (_, x) => t.at(t.noisy, v, x)).reduce((p, q) => p + q, 0), 0) / tables.length);
    const total = estimates.reduce((s, n) => s + Math.max(0, n), 0);
    for (let v = 0; v < sizes[c]; v++) {
      const realRows = Math.max(0, estimates[v]);
      const synthRows = synthRowsOf(v);
      let tvSum = 0;
      let floorSum = 0;
      let judged = 0;
      for (const t of tables) {
        const k = sizes[t.a];
        const real = Array.from({ length: k }, (_, x) => Math.max(0, t.at(t.noisy, v, x)));
        const rSum = real.reduce((p, q) => p + q, 0);
        if (rSum <= 0 || synthRows === 0) continue;
        let tv = 0;
        for (let x = 0; x < k; x++) tv += Math.abs(real[x] / rSum - t.at(t.synthCounts, v, x) / synthRows);
        tvSum += tv / 2;
        floorSum += Math.min(1, (0.5 * k * sigma * Math.sqrt(2 / Math.PI)) / Math.max(1, realRows));
        judged += 1;
      }
      groups.push({
        code: v,
        realRows,
        realShare: total > 0 ? realRows / total : 0,
        synthRows,
        synthShare: synth.rows > 0 ? synthRows / synth.rows : 0,
        tv1: judged > 0 ? tvSum / judged : null,
        noiseFloor1: judged > 0 ? floorSum / judged : null,
      });
    }
    return { column: synth.columns[c], groups };
  });
  return { columns, noiseStddev: sigma, pairs: pairs.length, method: POOLED_SUBGROUP_METHOD };
}
