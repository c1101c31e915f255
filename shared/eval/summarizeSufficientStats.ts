// summarizeSufficientStats: turns (combined, possibly noisy) additive evaluation statistics and the
// public synthetic data into consortium-level metrics: TV, utility, privacy rates, discriminator AUC.
import type { CodeTable } from './CodeTable.js';
import { accuracyOf, aucFromHistograms, macroF1Of } from './classificationMetrics.js';
import type { EvalSufficientStats } from './EvalSufficientStats.js';
import { marginalCounts } from './marginalCounts.js';
import { summarizeTv, tvOfCounts, type TvSummary } from './totalVariation.js';

/** Consortium-level numbers derived only from additive statistics. */
export interface PooledSummary {
  readonly rows: number;
  readonly tv: TvSummary;
  readonly utility: { readonly target: string; readonly tstrAccuracy: number; readonly trtrAccuracy: number; readonly tstrMacroF1: number; readonly trtrMacroF1: number; readonly tstrAuc: number | null } | null;
  readonly exactMatchShareUpperBound: number;
  readonly realReproducedShare: number;
  readonly dcrShare: number | null;
  readonly miaAuc: number | null;
  readonly discriminatorAuc: number | null;
}

const clamp = (v: readonly number[]): number[] => v.map((x) => Math.max(0, x));

/** Summarises `stats` against the synthetic table the parties evaluated. */
export function summarizeSufficientStats(stats: EvalSufficientStats, synth: CodeTable): PooledSummary {
  const marginals = stats.marginals.map((mv) => {
    const real = clamp(mv.counts);
    const total = real.reduce((a, b) => a + b, 0);
    return { attrs: mv.attrs, tv: tvOfCounts(real, total, marginalCounts(synth, mv.attrs), synth.rows) };
  });
  const maxWay = Math.max(1, ...stats.marginals.map((m) => m.attrs.length));
  const u = stats.utility;
  const p = stats.privacy;
  return {
    rows: stats.rows,
    tv: summarizeTv(marginals, maxWay),
    utility: u && {
      target: u.target,
      tstrAccuracy: accuracyOf(clamp(u.tstrConfusion), u.classes),
      trtrAccuracy: accuracyOf(clamp(u.trtrConfusion), u.classes),
      tstrMacroF1: macroF1Of(clamp(u.tstrConfusion), u.classes),
      trtrMacroF1: macroF1Of(clamp(u.trtrConfusion), u.classes),
      tstrAuc: u.tstrPositive && u.tstrNegative ? aucFromHistograms(u.tstrPositive, u.tstrNegative) : null,
    },
    exactMatchShareUpperBound: Math.min(1, Math.max(0, p.exactCopies) / stats.synthRows),
    realReproducedShare: stats.rows > 0 ? Math.max(0, p.realReproduced) / stats.rows : NaN,
    dcrShare: p.dcrCompared > 0 ? (Math.max(0, p.dcrCloser) + Math.max(0, p.dcrTies) / 2) / p.dcrCompared : null,
    miaAuc: p.miaMembers && p.miaNonMembers ? aucFromHistograms([...p.miaMembers].reverse(), [...p.miaNonMembers].reverse()) : null,
    discriminatorAuc: stats.discriminator ? aucFromHistograms(stats.discriminator.real, stats.discriminator.synth) : null,
  };
}
