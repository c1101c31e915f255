// subgroupFidelity: fidelity within each subgroup (one value of a chosen column): its share in real
// and synthetic rows and the mean 1-/2-way TV of the other columns among its rows, flagged when far below overall.
//
// Differential privacy hurts small groups most (Stadler et al., USENIX Security 2022; Ganev et al.,
// ICML 2022): a synthesizer can match the whole table well while erasing a minority's structure.
// For each value v of a column c, the rows with c = v are compared (real vs synthetic) on every
// 1-way and 2-way marginal of the other columns, and the excess over the sampling floor is compared
// with the same statistic over all rows (the flag rule is subgroupRule); a group the synthetic data
// misrepresents worse than ignoring it altogether is marked distorted (calibration: docs/evaluation.md).
import type { CodeTable } from './CodeTable.js';
import { attrSubsets } from './attrSubsets.js';
import { marginalCounts } from './marginalCounts.js';
import { assertSameDomain, tvOfCounts } from './totalVariation.js';

/** How a subgroup was judged. */
export type SubgroupFlag = 'ok' | 'low' | 'absent' | 'small' | 'unobserved';

/** One subgroup: rows whose `column` has code `code`. */
export interface SubgroupResult {
  readonly code: number;
  readonly realRows: number;
  readonly synthRows: number;
  readonly realShare: number;
  readonly synthShare: number;
  /** Mean TV over the other columns' 1-way and 2-way marginals within the subgroup (null: no rows on a side). */
  readonly tv1: number | null;
  readonly tv2: number | null;
  /** Mean 2-way TV that sampling alone gives at these row counts (normal approximation, see sampleFloor). */
  readonly floor2: number | null;
  /**
   * Group-blind reference: mean 2-way TV between the subgroup's real tables and the whole table's,
   * i.e. the score of a synthesizer that matched the table but knew nothing about this group
   * (null: no real rows).
   */
  readonly blind2: number | null;
  /**
   * The group differs from the whole table beyond sampling (blind2 >= SUBGROUP_DISTINCT_FACTOR x floor2)
   * and its synthetic tables are at least SUBGROUP_DISTORTED_FACTOR x blind2 from its real ones: the
   * synthetic data describes this group worse than the whole table's rows would.
   */
  readonly distorted: boolean;
  readonly flag: SubgroupFlag;
}

/** The subgroups of one column, and the same statistics over all rows (its reference). */
export interface SubgroupColumn {
  readonly column: string;
  readonly overall: { readonly tv1: number; readonly tv2: number; readonly floor2: number };
  readonly groups: readonly SubgroupResult[];
}

export interface SubgroupFidelity {
  /** The flag rule in words (shown in the report). */
  readonly rule: string;
  readonly minRows: number;
  readonly columns: readonly SubgroupColumn[];
  /** Number of subgroups flagged 'low' or 'absent'. */
  readonly flagged: number;
}

export interface SubgroupOptions {
  /** Column indices to split by; default `defaultSubgroupColumns(sizes, categorical)`. */
  readonly columns?: readonly number[];
  /** Subgroups with fewer real rows are reported but not judged (flag 'small'). Default 30. */
  readonly minRows?: number;
}

/** Default columns: every categorical column (every column when kinds are unknown) with fewer than 50 values. */
export const SUBGROUP_MAX_VALUES = 50;
export const SUBGROUP_MIN_ROWS = 30;
/** A subgroup is 'low' when its excess 2-way TV is at least this many times the overall excess ... */
export const SUBGROUP_FACTOR = 2;
/** ... and at least this much above it ... */
export const SUBGROUP_MARGIN = 0.05;
/** ... and its 2-way TV is at least this many times its sampling floor (the floor's normal approximation
 * runs up to ~1.45x low for groups of 30-60 rows: measured on random halves of Adult, docs/evaluation.md). */
export const SUBGROUP_FLOOR_FACTOR = 1.5;
/**
 * Distorted: judged only for a group whose real tables differ from the whole table's by at least this
 * many times its sampling floor (a group indistinguishable from the population cannot be misrepresented
 * as "not itself") ...
 */
export const SUBGROUP_DISTINCT_FACTOR = 2;
/** ... when its 2-way TV is at least this many times its group-blind reference blind2. Healthy MST runs on
 * six tables at eps 1 and 4 reach 1.48 at most (docs/evaluation.md); a group with its columns scrambled, 2.9-4.9. */
export const SUBGROUP_DISTORTED_FACTOR = 2;

/** The flag rule in words. */
export const subgroupRule = (minRows: number): string =>
  `a subgroup is flagged low when its mean 2-way TV minus its sampling floor is at least ${SUBGROUP_FACTOR}x ` +
  `the same excess over all rows and at least ${SUBGROUP_MARGIN} above it, and its 2-way TV is at least ` +
  `${SUBGROUP_FLOOR_FACTOR}x its sampling floor; absent when it has real rows but no ` +
  `synthetic rows; distorted when its real rows differ from the whole table's by at least ${SUBGROUP_DISTINCT_FACTOR}x its floor ` +
  `and its 2-way TV is at least ${SUBGROUP_DISTORTED_FACTOR}x that difference (the synthetic data describes the group worse ` +
  `than the whole table's rows would); subgroups with fewer than ${minRows} real rows are shown but not judged.`;

export function defaultSubgroupColumns(sizes: readonly number[], categorical?: readonly boolean[]): number[] {
  const out: number[] = [];
  sizes.forEach((s, c) => {
    if (s >= 2 && s < SUBGROUP_MAX_VALUES && (categorical === undefined || categorical[c])) out.push(c);
  });
  return out;
}

/**
 * Expected TV between two independent samples (nA, nB rows) of distribution `p`. Each cell's
 * difference of shares is about normal with variance p(1-p)(1/nA + 1/nB), and E|N(0, s^2)| =
 * s sqrt(2/pi); for rare cells (where the normal approximation overshoots) E|a - b| <= E a + E b = 2p
 * caps the term, so the floor never exceeds 1.
 */
export function sampleFloor(p: ArrayLike<number>, nA: number, nB: number): number {
  const k = (2 / Math.PI) * (1 / nA + 1 / nB);
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = p[i];
    if (q > 0 && q < 1) s += Math.min(Math.sqrt(q * (1 - q) * k), 2 * q);
  }
  return Math.min(1, s / 2);
}

/** Distorted (see SubgroupResult.distorted). */
export function isDistorted(tv2: number | null, floor2: number | null, blind2: number | null): boolean {
  if (tv2 === null || floor2 === null || blind2 === null) return false;
  return blind2 >= SUBGROUP_DISTINCT_FACTOR * floor2 && tv2 >= SUBGROUP_DISTORTED_FACTOR * blind2;
}

/** The "low" rule (see subgroupRule): excess 2-way TV far above the overall excess and well above the floor. */
export function isLowSubgroup(tv2: number, floor2: number, overallExcess: number): boolean {
  return tv2 - floor2 >= Math.max(SUBGROUP_FACTOR * overallExcess, overallExcess + SUBGROUP_MARGIN) && tv2 >= SUBGROUP_FLOOR_FACTOR * floor2;
}

/** Per (group, marginal) TV sums for one subgroup column. */
function subgroupSums(real: CodeTable, synth: CodeTable, c: number, others: readonly number[][], nr: Float64Array, ns: Float64Array) {
  const k = real.sizes[c];
  const tv = new Float64Array(k);
  const floor = new Float64Array(k);
  const blind = new Float64Array(k);
  let overallTv = 0;
  let overallFloor = 0;
  for (const attrs of others) {
    const cr = marginalCounts(real, [c, ...attrs]);
    const cs = marginalCounts(synth, [c, ...attrs]);
    const cells = cr.length / k;
    const ar = new Float64Array(cells);
    const as = new Float64Array(cells);
    for (let v = 0; v < k; v++) {
      for (let i = 0; i < cells; i++) {
        ar[i] += cr[v * cells + i];
        as[i] += cs[v * cells + i];
      }
      if (nr[v] === 0 || ns[v] === 0) continue;
      const sub = cr.subarray(v * cells, (v + 1) * cells);
      tv[v] += tvOfCounts(sub, nr[v], cs.subarray(v * cells, (v + 1) * cells), ns[v], cells);
      floor[v] += sampleFloor(sub.map((x) => x / nr[v]), nr[v], ns[v]);
    }
    for (let v = 0; v < k; v++) if (nr[v] > 0) blind[v] += tvOfCounts(cr.subarray(v * cells, (v + 1) * cells), nr[v], ar, real.rows, cells);
    overallTv += tvOfCounts(ar, real.rows, as, synth.rows, cells);
    overallFloor += sampleFloor(ar.map((x) => x / real.rows), real.rows, synth.rows);
  }
  const n = Math.max(1, others.length);
  return { tv: tv.map((x) => x / n), floor: floor.map((x) => x / n), blind: blind.map((x) => x / n), overallTv: overallTv / n, overallFloor: overallFloor / n };
}

/** Subgroup fidelity of `synth` against `real` for the chosen columns (exact counts, no sampling). */
export function subgroupFidelity(real: CodeTable, synth: CodeTable, opts: SubgroupOptions = {}): SubgroupFidelity {
  assertSameDomain(real, synth);
  const m = real.columns.length;
  const minRows = opts.minRows ?? SUBGROUP_MIN_ROWS;
  const chosen = opts.columns ?? defaultSubgroupColumns(real.sizes);
  let flagged = 0;
  const columns = chosen.map((c): SubgroupColumn => {
    const rest = Array.from({ length: m }, (_, i) => i).filter((i) => i !== c);
    const ones = rest.map((a) => [a]);
    const pairs = attrSubsets(rest.length, 2).map((s) => s.map((i) => rest[i]));
    const nr = marginalCounts(real, [c]);
    const ns = marginalCounts(synth, [c]);
    const one = subgroupSums(real, synth, c, ones, nr, ns);
    const two = subgroupSums(real, synth, c, pairs, nr, ns);
    const overallExcess = Math.max(0, two.overallTv - two.overallFloor);
    const groups: SubgroupResult[] = [];
    for (let v = 0; v < real.sizes[c]; v++) {
      if (nr[v] === 0 && ns[v] === 0) continue;
      const both = nr[v] > 0 && ns[v] > 0;
      const tv2 = both && pairs.length > 0 ? two.tv[v] : null;
      const floor2 = tv2 === null ? null : two.floor[v];
      let flag: SubgroupFlag;
      if (nr[v] === 0) flag = 'unobserved';
      else if (nr[v] < minRows) flag = 'small';
      else if (ns[v] === 0) flag = 'absent';
      else if (tv2 !== null && floor2 !== null && isLowSubgroup(tv2, floor2, overallExcess)) flag = 'low';
      else flag = 'ok';
      if (flag === 'low' || flag === 'absent') flagged++;
      const blind2 = nr[v] > 0 && pairs.length > 0 ? two.blind[v] : null;
      groups.push({
        code: v,
        realRows: nr[v],
        synthRows: ns[v],
        realShare: nr[v] / real.rows,
        synthShare: ns[v] / synth.rows,
        tv1: both ? one.tv[v] : null,
        tv2,
        floor2,
        blind2,
        distorted: nr[v] >= minRows && isDistorted(tv2, floor2, blind2),
        flag,
      });
    }
    return { column: real.columns[c], overall: { tv1: one.overallTv, tv2: two.overallTv, floor2: two.overallFloor }, groups };
  });
  return { rule: subgroupRule(minRows), minRows, columns, flagged };
}
