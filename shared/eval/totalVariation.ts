// totalVariation: exact total variation distance between two tables over every 1-, 2- and 3-way marginal.
// TV(A) = 1/2 * sum over cells of |p_real - p_synth|; avg and max over all column sets of each size.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { CodeTable } from './CodeTable.js';
import { attrSubsets } from './attrSubsets.js';
import { marginalCells, marginalCounts } from './marginalCounts.js';

/** Average and maximum TV over the `count` marginals of one size. */
export interface TvStat {
  readonly avg: number;
  readonly max: number;
  readonly count: number;
}

/** The TV of one marginal (column indices ascending, domain order). */
export interface MarginalTv {
  readonly attrs: readonly number[];
  readonly tv: number;
}

/** `byWay[k-1]` summarises the k-way marginals; `marginals` lists every one (1-way first). */
export interface TvSummary {
  readonly byWay: readonly TvStat[];
  readonly marginals: readonly MarginalTv[];
}

/**
 * TV between two count vectors normalised by their totals. Summed in cell order so the result
 * equals the reference scorer bit for bit. Negative (DP-noised) counts must be clamped by the caller.
 */
export function tvOfCounts(real: ArrayLike<number>, nReal: number, synth: ArrayLike<number>, nSynth: number, cells = real.length): number {
  let s = 0;
  for (let i = 0; i < cells; i++) s += Math.abs(real[i] / nReal - synth[i] / nSynth);
  return s / 2;
}

/** Groups per-marginal TVs by size into avg/max (the average summed in the given order). */
export function summarizeTv(marginals: readonly MarginalTv[], maxWay: number): TvSummary {
  const byWay: TvStat[] = [];
  for (let k = 1; k <= maxWay; k++) {
    let sum = 0;
    let max = -Infinity;
    let count = 0;
    for (const m of marginals) {
      if (m.attrs.length !== k) continue;
      sum += m.tv;
      if (m.tv > max) max = m.tv;
      count++;
    }
    byWay.push({ avg: count === 0 ? NaN : sum / count, max: count === 0 ? NaN : max, count });
  }
  return { byWay, marginals };
}

/** Throws unless both tables are coded against the same domain. */
export function assertSameDomain(a: CodeTable, b: CodeTable, allowEmpty = false): void {
  const same = a.columns.length === b.columns.length && a.columns.every((c, i) => c === b.columns[i] && a.sizes[i] === b.sizes[i]);
  if (!same) throw new FedsynthError(ErrorCode.InvalidDomain, 'tables are coded against different domains');
  if (!allowEmpty && (a.rows === 0 || b.rows === 0)) throw new FedsynthError(ErrorCode.InvalidData, 'cannot compare an empty table');
}

/** Exact TV over all column sets of size 1..maxWay (no sampling). */
export function totalVariation(real: CodeTable, synth: CodeTable, maxWay = 3): TvSummary {
  assertSameDomain(real, synth);
  const m = real.columns.length;
  const sets: number[][] = [];
  for (let k = 1; k <= Math.min(maxWay, m); k++) sets.push(...attrSubsets(m, k));
  let maxCells = 1;
  for (const s of sets) maxCells = Math.max(maxCells, marginalCells(real.sizes, s));
  // Two buffers reused for every marginal: counted into, read, then zeroed.
  const cr = new Float64Array(maxCells);
  const cs = new Float64Array(maxCells);
  const marginals: MarginalTv[] = [];
  for (const attrs of sets) {
    const cells = marginalCells(real.sizes, attrs);
    marginalCounts(real, attrs, cr);
    marginalCounts(synth, attrs, cs);
    marginals.push({ attrs, tv: tvOfCounts(cr, real.rows, cs, synth.rows, cells) });
    cr.fill(0, 0, cells);
    cs.fill(0, 0, cells);
  }
  return summarizeTv(marginals, maxWay);
}
