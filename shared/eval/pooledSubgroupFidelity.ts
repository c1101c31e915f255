// pooledSubgroupFidelity: consortium-wide subgroup shares, within-subgroup 1- and 2-way fidelity and
// flags from the securely summed, noisy 3-way marginals (split column x a pair of other columns).
//
// The release is an ordinary `marginals` round after delivery (L2 sensitivity sqrt(#sets), one cell of
// each set per record; docs/privacy.md "Pooled risk"). For a split column c its other columns are
// paired in domain order (o0 o1, o2 o3, ...; an odd one out with o0), each pair giving one set
// {c, a, b} (`subgroupSets`; {c, a} when c has a single other column). For a value v:
//  - 1-way: the group's distribution of each other column a, from the first set holding a (summed over
//    its partner b: noise sigma sqrt(|b|) per cell); 2-way: the distribution of each pair (a, b)
//    (noise sigma per cell). Negatives clamped to 0, normalised; TV against the synthetic rows within
//    c = v, averaged over the columns (tv1) or pairs (tv2). A sample of the per-silo statistic's pairs
//    (each column in one pair, not all pairs), so tv2 is comparable with the per-silo tv2 in kind only.
//  - n_v: the mean over the sets of the group's noisy total (each unbiased).
//  - Noise floor: E TV(noisy, true) ~ (1/2) cells s sqrt(2/pi) / n_v (s the noise per cell, capped at
//    1), averaged; its one-sided 95% bound adds z sqrt(sum cells s^2 (1 - 2/pi) / 4) / (P n_v) (the
//    half-normal's variance, the P pairs' noise independent).
//  - Flags: the per-silo rule (subgroupRule / isLowSubgroup, with the sampling floor of the noisy
//    distribution at n_v and the synthetic rows) applied to tv2 MINUS that noise bound, so a group is
//    flagged low only when the excess survives the noise's 95% bound; the overall excess is the same
//    pairs over all rows (noise sigma sqrt(|c|) per cell, its mean floor subtracted). Absent: no
//    synthetic rows while n_v minus z times its noise is at least minRows. Not judged ("small"): n_v
//    below minRows (or not surely above it when absent). "Distorted" is per silo only.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { CodeTable } from './CodeTable.js';
import { asRowChunks, chunkMarginals, type RowChunks } from './RowChunks.js';
import { isLowSubgroup, sampleFloor, SUBGROUP_MIN_ROWS, subgroupRule, type SubgroupFlag } from './subgroupFidelity.js';
import { tvOfCounts } from './totalVariation.js';

/** One-sided 95% normal quantile (noise bounds of the flags). */
const Z95 = 1.6448536269514722;
const HALF_NORMAL_MEAN = Math.sqrt(2 / Math.PI);
const HALF_NORMAL_VAR = 1 - 2 / Math.PI;

/** The marginals (sorted column indices, deduplicated) the release measures for the split columns. */
export function subgroupSets(columns: readonly string[], split: readonly number[]): number[][] {
  const seen = new Set<string>();
  const out: number[][] = [];
  for (const c of split) {
    for (const set of setsOf(columns.length, c)) {
      const key = set.join(',');
      if (!seen.has(key)) {
        seen.add(key);
        out.push(set);
      }
    }
  }
  return out;
}

/** Split column c's sets, sorted: c with consecutive pairs of its other columns (see header). */
function setsOf(m: number, c: number): number[][] {
  const others = Array.from({ length: m }, (_, a) => a).filter((a) => a !== c);
  if (others.length === 1) return [[c, others[0]].sort((x, y) => x - y)];
  const out: number[][] = [];
  for (let i = 0; i < others.length; i += 2) {
    const b = i + 1 < others.length ? others[i + 1] : others[0];
    out.push([c, others[i], b].sort((x, y) => x - y));
  }
  return out;
}

export interface PooledSubgroup {
  readonly code: number;
  /** Noisy number of real rows in the subgroup (mean of the sets' estimates), and its share. */
  readonly realRows: number;
  readonly realShare: number;
  readonly synthRows: number;
  readonly synthShare: number;
  /** Mean over the other columns of the 1-way TV within the subgroup (null: no rows on a side). */
  readonly tv1: number | null;
  /** Mean 1-way TV the noise alone gives at this size. */
  readonly noiseFloor1: number | null;
  /** Mean over the measured pairs of the 2-way TV within the subgroup (null: no pairs or no rows on a side). */
  readonly tv2: number | null;
  /** Mean 2-way TV the noise alone gives, and its one-sided 95% bound (what the flag subtracts). */
  readonly noiseFloor2: number | null;
  readonly noiseBound2: number | null;
  /** Mean 2-way TV sampling alone gives at these row counts (the per-silo rule's floor). */
  readonly floor2: number | null;
  readonly flag: SubgroupFlag;
}

export interface PooledSubgroupColumn {
  readonly column: string;
  /** The same pairs over all rows: 2-way TV, sampling floor, and the excess the rule compares with. */
  readonly overall: { readonly tv2: number | null; readonly floor2: number | null; readonly excess: number };
  readonly groups: readonly PooledSubgroup[];
}

export interface PooledSubgroupFidelity {
  readonly columns: readonly PooledSubgroupColumn[];
  /** Standard deviation of the summed noise per count. */
  readonly noiseStddev: number;
  /** Noisy marginals released (subgroupSets). */
  readonly marginals: number;
  readonly minRows: number;
  /** Subgroups flagged low or absent. */
  readonly flagged: number;
  readonly rule: string;
  readonly method: string;
}

export const POOLED_SUBGROUP_METHOD =
  'noisy 3-way marginals (split column x a pair of other columns, each other column in one pair) summed over the silos ' +
  'through secure aggregation; negatives clamped to 0 within a subgroup; tv1 = mean over the other columns of the 1-way TV ' +
  'within the subgroup, tv2 = mean over the pairs of the 2-way TV; noiseFloor = mean of (1/2) cells s sqrt(2/pi) / n_v ' +
  '(s the noise per cell; capped at 1), noiseBound2 its one-sided 95% bound.';

export const pooledSubgroupRule = (minRows: number): string =>
  `the per-silo rule on the measured pairs, with the noise taken into account: ${subgroupRule(minRows)} ` +
  'Pooled: tv2 minus its noise bound (one-sided 95%) must meet the low rule; absent needs the noisy size minus 1.645 times its noise to reach the minimum; not judged otherwise.';

/** Per value v of split column c: the noisy and synthetic tables over the set's other columns. */
interface GroupTables {
  readonly rest: readonly number[];
  readonly cells: number;
  readonly real: Float64Array[];
  readonly synth: Float64Array[];
}

/** The synthetic side: its domain, rows and the counts of every set of subgroupSets (one pass over the rows). */
interface SyntheticCounts {
  readonly columns: readonly string[];
  readonly sizes: readonly number[];
  readonly rows: number;
  counts(set: readonly number[]): Float64Array;
}

function groupTables(synth: SyntheticCounts, set: readonly number[], c: number, noisy: ArrayLike<number>): GroupTables {
  const sizes = set.map((a) => synth.sizes[a]);
  const at = set.indexOf(c);
  const rest = set.filter((a) => a !== c);
  const cells = rest.reduce((n, a) => n * synth.sizes[a], 1);
  const k = synth.sizes[c];
  const real = Array.from({ length: k }, () => new Float64Array(cells));
  const syn = Array.from({ length: k }, () => new Float64Array(cells));
  const synthCounts = synth.counts(set);
  const digits = new Array<number>(set.length).fill(0);
  for (let i = 0; i < noisy.length; i++) {
    let r = 0;
    for (let d = 0; d < set.length; d++) if (d !== at) r = r * sizes[d] + digits[d];
    real[digits[at]][r] = noisy[i];
    syn[digits[at]][r] = synthCounts[i];
    for (let d = set.length - 1; d >= 0; d--) {
      if (++digits[d] < sizes[d]) break;
      digits[d] = 0;
    }
  }
  return { rest, cells, real, synth: syn };
}

/** Sums a table over (rest[0], rest[1]) to rest[keep]'s 1-way table. */
function oneWay(t: Float64Array, sizes: readonly number[], keep: 0 | 1): Float64Array {
  const out = new Float64Array(sizes[keep]);
  for (let x = 0; x < sizes[0]; x++) for (let y = 0; y < sizes[1]; y++) out[keep === 0 ? x : y] += t[x * sizes[1] + y];
  return out;
}

const clampedSum = (t: Float64Array): { t: Float64Array; n: number } => {
  const c = t.map((x) => Math.max(0, x));
  return { t: c, n: c.reduce((a, b) => a + b, 0) };
};
function sum(t: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < t.length; i++) s += t[i];
  return s;
}

/**
 * The figures from the noisy `sums` (one per set of `subgroupSets`, cell order of marginalCounts) and
 * the synthetic rows (read once, in chunks: only their counts on those sets are kept); `sigma` is the
 * summed noise's standard deviation per count.
 */
export function pooledSubgroupFidelity(synthetic: CodeTable | RowChunks, split: readonly number[], sums: readonly ArrayLike<number>[], sigma: number, minRows = SUBGROUP_MIN_ROWS): PooledSubgroupFidelity {
  const src = asRowChunks(synthetic);
  const sets = subgroupSets(src.columns, split);
  if (sums.length !== sets.length) throw new FedsynthError(ErrorCode.InvalidArgument, `pooled subgroups: ${sums.length} marginals for ${sets.length} sets`);
  const byKey = new Map(sets.map((s, i) => [s.join(','), i]));
  const counted = chunkMarginals(src, sets);
  const synth: SyntheticCounts = { columns: src.columns, sizes: src.sizes, rows: counted.rows, counts: (set) => counted.counts[byKey.get(set.join(','))!] };
  let flagged = 0;
  const columns = split.map((c): PooledSubgroupColumn => {
    const tables = setsOf(synth.columns.length, c).map((set) => {
      const i = byKey.get(set.join(','))!;
      const cells = set.reduce((n, a) => n * synth.sizes[a], 1);
      if (sums[i].length !== cells) throw new FedsynthError(ErrorCode.InvalidArgument, `pooled subgroups: marginal ${set.join(',')} has ${sums[i].length} cells, expected ${cells}`);
      return groupTables(synth, set, c, sums[i]);
    });
    // 1-way sources: each other column from the first set holding it; noise per cell sigma sqrt(partner size).
    const ones: { t: GroupTables; keep: 0 | 1; k: number; s: number }[] = [];
    const covered = new Set<number>();
    for (const t of tables) {
      t.rest.forEach((a, j) => {
        if (covered.has(a)) return;
        covered.add(a);
        const partner = t.rest.length === 2 ? synth.sizes[t.rest[1 - j]] : 1;
        ones.push({ t, keep: j as 0 | 1, k: synth.sizes[a], s: sigma * Math.sqrt(partner) });
      });
    }
    const pairs = tables.filter((t) => t.rest.length === 2);
    const oneOf = (o: (typeof ones)[number], side: 'real' | 'synth', v: number) =>
      o.t.rest.length === 2 ? oneWay(o.t[side][v], o.t.rest.map((a) => synth.sizes[a]), o.keep) : o.t[side][v];
    const k = synth.sizes[c];
    const estimates = Array.from({ length: k }, (_, v) => tables.reduce((s, t) => s + sum(t.real[v]), 0) / tables.length);
    const total = estimates.reduce((s, n) => s + Math.max(0, n), 0);
    // Overall: the same pairs over all rows (summed over v: noise sigma sqrt(k) per cell).
    let oTv = 0;
    let oFloor = 0;
    for (const t of pairs) {
      const r = clampedSum(Float64Array.from({ length: t.cells }, (_, x) => t.real.reduce((s, g) => s + g[x], 0)));
      const sy = Float64Array.from({ length: t.cells }, (_, x) => t.synth.reduce((s, g) => s + g[x], 0));
      const ns = sum(sy);
      if (r.n <= 0 || ns <= 0) continue;
      oTv += tvOfCounts(r.t, r.n, sy, ns);
      oFloor += sampleFloor(r.t.map((x) => x / r.n), r.n, ns) + Math.min(1, (0.5 * t.cells * sigma * Math.sqrt(k) * HALF_NORMAL_MEAN) / r.n);
    }
    const overallTv2 = pairs.length > 0 ? oTv / pairs.length : null;
    const overallFloor2 = pairs.length > 0 ? oFloor / pairs.length : null;
    const excess = overallTv2 !== null && overallFloor2 !== null ? Math.max(0, overallTv2 - overallFloor2) : 0;
    const groups: PooledSubgroup[] = [];
    for (let v = 0; v < k; v++) {
      const realRows = Math.max(0, estimates[v]);
      const synthRows = sum(tables[0].synth[v]);
      const n = Math.max(1, realRows);
      let tv1 = 0;
      let floor1 = 0;
      let judged1 = 0;
      for (const o of ones) {
        const r = clampedSum(oneOf(o, 'real', v));
        if (r.n <= 0 || synthRows === 0) continue;
        tv1 += tvOfCounts(r.t, r.n, oneOf(o, 'synth', v), synthRows);
        floor1 += Math.min(1, (0.5 * o.k * o.s * HALF_NORMAL_MEAN) / n);
        judged1++;
      }
      let tv2 = 0;
      let noise2 = 0;
      let noiseVar2 = 0;
      let floor2 = 0;
      let judged2 = 0;
      for (const t of pairs) {
        const r = clampedSum(t.real[v]);
        if (r.n <= 0 || synthRows === 0) continue;
        tv2 += tvOfCounts(r.t, r.n, t.synth[v], synthRows);
        floor2 += sampleFloor(r.t.map((x) => x / r.n), n, synthRows);
        noise2 += Math.min(1, (0.5 * t.cells * sigma * HALF_NORMAL_MEAN) / n);
        noiseVar2 += (t.cells * sigma * sigma * HALF_NORMAL_VAR) / (4 * n * n);
        judged2++;
      }
      const has2 = judged2 > 0;
      const bound2 = has2 ? Math.min(1, noise2 / judged2 + (Z95 * Math.sqrt(noiseVar2)) / judged2) : null;
      const g = {
        tv2: has2 ? tv2 / judged2 : null,
        floor2: has2 ? floor2 / judged2 : null,
      };
      // The noise on n_v: each set's total carries sigma sqrt(cells of the rest); their mean over the sets.
      const nNoise = (sigma * Math.sqrt(tables.reduce((s, t) => s + t.cells, 0))) / tables.length;
      let flag: SubgroupFlag;
      if (realRows <= 0 && synthRows === 0) flag = 'unobserved';
      else if (realRows < minRows) flag = 'small';
      else if (synthRows === 0) flag = realRows - Z95 * nNoise >= minRows ? 'absent' : 'small';
      else if (g.tv2 !== null && g.floor2 !== null && bound2 !== null && isLowSubgroup(Math.max(0, g.tv2 - bound2), g.floor2, excess)) flag = 'low';
      else flag = 'ok';
      if (flag === 'low' || flag === 'absent') flagged++;
      groups.push({
        code: v,
        realRows,
        realShare: total > 0 ? realRows / total : 0,
        synthRows,
        synthShare: synth.rows > 0 ? synthRows / synth.rows : 0,
        tv1: judged1 > 0 ? tv1 / judged1 : null,
        noiseFloor1: judged1 > 0 ? floor1 / judged1 : null,
        tv2: g.tv2,
        noiseFloor2: has2 ? noise2 / judged2 : null,
        noiseBound2: bound2,
        floor2: g.floor2,
        flag,
      });
    }
    return { column: synth.columns[c], overall: { tv2: overallTv2, floor2: overallFloor2, excess }, groups };
  });
  return { columns, noiseStddev: sigma, marginals: sets.length, minRows, flagged, rule: pooledSubgroupRule(minRows), method: POOLED_SUBGROUP_METHOD };
}
