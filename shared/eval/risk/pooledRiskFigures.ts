// pooledRiskFigures: the consortium-wide risk figures from the securely summed, noisy count vectors of
// every silo (pooledRiskCounts), with intervals that account for both sampling and the DP noise.
//
// Interval method ("wilson+noise"): each success rate p = s / N (s a noisy success count, N the noisy
// number of targets, the sum of a histogram's m + 1 noisy bins) gets its Wilson half-width at the
// rounded counts (Wilson 1927, as per silo) widened in quadrature by z times the standard deviation
// the noise puts on p, by the delta method: each summed entry carries independent noise of variance
// sigma^2 (the survivors' summed discrete Gaussian shares, known), so
//   Var(p) ~= sigma^2 (1 + (m + 1) p^2) / N^2                 s outside the histogram (linkability, inference)
//   Var(p) ~= sigma^2 (k (1 - p)^2 + (m + 1 - k) p^2) / N^2   s = the first k bins of the histogram (exact match, DCR)
// The risk (main - control)/(1 - control) and its interval then follow as per silo (residualRisk).
// Singling out (pooledSinglingOut): successes S = the sum of the F family entries (noise variance
// F sigma^2) out of P predicates x H silos, H = soSilos / SINGLING_OUT_ROWS_UNIT (noise variance
// sigma^2 / unit^2), so Var(p) ~= sigma^2 (F + p^2 P^2 / unit^2) / (P H)^2 by the same delta method.
// MIA AUC from the noisy histograms (negatives clamped to 0): Hanley-McNeil standard error at the
// noisy member / non-member counts, widened in quadrature by the noise's delta-method standard
// deviation (the AUC's gradient in every bin, times sigma).
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import type { AttackRisk as ReportAttackRisk, InferenceRisk, MembershipInference, RateVsControl, RiskFigures } from '../RiskFigures.js';
import { aucFromHistograms } from '../classificationMetrics.js';
import { residualRisk, type RateWithError } from './attackRisk.js';
import { aucStandardError } from './membershipInference.js';
import { normalQuantile } from './normalQuantile.js';
import { pooledRiskLayout } from './pooledRiskCounts.js';
import { SINGLING_OUT_ROWS_UNIT } from './pooledSinglingOut.js';
import { DCR_CLOSE } from './riskFigures.js';
import { clamp01, wilsonScore } from './wilsonScore.js';

/** One rate with its interval, for the record-centred exact-match and DCR figures. */
export interface PooledRateVsControl extends RateVsControl {
  /** What is counted: real rows with a synthetic row within the distance (not synthetic rows). */
  readonly basis: string;
  readonly ci: readonly [number, number];
  readonly controlCi: readonly [number, number];
}

/** The singling-out block's public terms: families and predicates (over all families) the query sent. */
export interface PooledSinglingOutDesign {
  readonly families: number;
  readonly predicates: number;
}

/** The pooled release's terms, as the coordinator planned them (and every agent re-derived). */
export interface PooledRiskNoise {
  /** Standard deviation of the summed noise on each entry. */
  readonly stddev: number;
  readonly l2Sensitivity: number;
  readonly rho: number;
  /** Parties whose vectors are in the sum. */
  readonly parties: number;
}

export interface PooledRiskFigures extends RiskFigures {
  readonly scope: 'aggregate';
  readonly method: string;
  readonly noise: PooledRiskNoise;
  readonly exactMatch: PooledRateVsControl | null;
  readonly dcr: PooledRateVsControl | null;
  /** The singling-out block's terms (null: the release had none, so singlingOut is null). */
  readonly singlingOutDesign: PooledSinglingOutDesign | null;
}

export const POOLED_INTERVAL_METHOD =
  'wilson+noise: Wilson score half-width of each rate at the rounded noisy counts, widened in quadrature by z times the ' +
  "noise's delta-method standard deviation (each entry's summed noise variance is known); risk = (main - control)/(1 - control) " +
  'with first-order propagation; MIA: Hanley-McNeil standard error widened the same way.';

interface NoisyRate extends RateWithError {
  readonly successes: number;
  readonly attacks: number;
}

/**
 * Rate s / N with its error at `z`: Wilson at the rounded counts, widened by the noise. `inside` =
 * k when s is the sum of the first k of the N histogram's `bins` entries; 0 when s is a separate entry.
 */
function noisyRate(s: number, N: number, bins: number, inside: number, sigma: number, confidence: number): NoisyRate {
  const attacks = Math.max(1, Math.round(N));
  const successes = Math.min(attacks, Math.max(0, Math.round(s)));
  const w = wilsonScore(attacks, successes, confidence);
  const p = clamp01(s / N);
  const v = inside === 0 ? (sigma * sigma * (1 + bins * p * p)) / (N * N) : (sigma * sigma * (inside * (1 - p) ** 2 + (bins - inside) * p * p)) / (N * N);
  const z = normalQuantile(0.5 * (1 + confidence));
  return { successes, attacks, rate: w.rate, error: Math.hypot(w.error, z * Math.sqrt(v)) };
}

/** Singling-out rate S / (P H) with its error (Wilson at the rounded counts, widened by the noise on S and H). */
function singlingOutRate(s: number, predicates: number, silos: number, families: number, sigma: number, confidence: number): NoisyRate {
  const N = predicates * silos;
  const attacks = Math.max(1, Math.round(N));
  const successes = Math.min(attacks, Math.max(0, Math.round(s)));
  const w = wilsonScore(attacks, successes, confidence);
  const p = clamp01(s / N);
  const v = (sigma * sigma * (families + (p * p * predicates * predicates) / (SINGLING_OUT_ROWS_UNIT * SINGLING_OUT_ROWS_UNIT))) / (N * N);
  const z = normalQuantile(0.5 * (1 + confidence));
  return { successes, attacks, rate: w.rate, error: Math.hypot(w.error, z * Math.sqrt(v)) };
}

function reportRisk(main: NoisyRate, control: NoisyRate, confidence: number): ReportAttackRisk & { readonly residual: number | null } {
  const r = residualRisk(main, control);
  const rate = (x: NoisyRate) => ({ successes: x.successes, attacks: x.attacks, rate: x.successes / x.attacks });
  return { risk: r?.risk ?? 0, ci: r?.ci ?? [0, 1], confidence, attack: rate(main), control: rate(control), baseline: null, residual: r?.residual?.value ?? null };
}

/** AUC of the (clamped) noisy histograms and its standard deviation under the noise (delta method). */
function pooledAuc(members: readonly number[], nonMembers: readonly number[], sigma: number, confidence: number): MembershipInference {
  // Score order: a smaller distance is a higher score, so bins are read from the largest distance down.
  const p = [...members].reverse().map((x) => Math.max(0, x));
  const q = [...nonMembers].reverse().map((x) => Math.max(0, x));
  const P = p.reduce((a, b) => a + b, 0);
  const Q = q.reduce((a, b) => a + b, 0);
  const auc = aucFromHistograms(p, q);
  const method = 'distance (nearest synthetic row), pooled from noisy histograms';
  if (!Number.isFinite(auc)) return { auc: NaN, ci: null, method, members: Math.round(P), nonMembers: Math.round(Q) };
  let gradient2 = 0;
  let below = 0;
  let above = P;
  for (let b = 0; b < p.length; b++) {
    above -= p[b];
    const dp = (below + q[b] / 2) / (P * Q) - auc / P; // dAUC/dp_b
    const dq = (above + p[b] / 2) / (P * Q) - auc / Q; // dAUC/dq_b
    gradient2 += dp * dp + dq * dq;
    below += q[b];
  }
  const z = normalQuantile(0.5 * (1 + confidence));
  const se = Math.hypot(aucStandardError(auc, P, Q), sigma * Math.sqrt(gradient2));
  return { auc, ci: [clamp01(auc - z * se), clamp01(auc + z * se)], method, members: Math.round(P), nonMembers: Math.round(Q) };
}

/**
 * The consortium's figures from the noisy SUM of every silo's pooledRiskCounts vector. `columns`
 * names the domain's columns (their order is the vector's); `noise.stddev` is the summed noise's
 * standard deviation per entry. Figures whose denominators the noise leaves below one row are null
 * (with a note).
 */
export function pooledRiskFigures(
  sum: ArrayLike<number>,
  columns: readonly string[],
  synthRows: number,
  noise: PooledRiskNoise,
  confidence = 0.95,
  singlingOut: PooledSinglingOutDesign = { families: 0, predicates: 0 },
): PooledRiskFigures {
  const m = columns.length;
  const L = pooledRiskLayout(m, singlingOut.families);
  if (sum.length !== L.length) throw new FedsynthError(ErrorCode.InvalidArgument, `pooled risk: the sum has ${sum.length} entries, the layout ${L.length}`);
  const sigma = noise.stddev;
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new FedsynthError(ErrorCode.InvalidArgument, `pooled risk: noise stddev ${sigma} is not a finite non-negative number`);
  const members = Array.from({ length: m + 1 }, (_, d) => sum[L.members + d]);
  const nonMembers = Array.from({ length: m + 1 }, (_, d) => sum[L.nonMembers + d]);
  const N1 = members.reduce((a, b) => a + b, 0);
  const N2 = nonMembers.reduce((a, b) => a + b, 0);
  const F = singlingOut.families;
  const notes = [
    F > 0
      ? `Singling out is pooled over ${singlingOut.predicates} predicates from the synthetic data, packed into ${F} families no two of whose predicates one record can match ` +
        `(Anonymeter's unpacked count has no per-record bound); each silo compares as many of its training rows as it has control rows (distinct rows), ` +
        `and attacks = predicates x silos (a silo comparing fewer than ${SINGLING_OUT_ROWS_UNIT} rows counts pro rata).`
      : 'Singling out is not pooled: one record can make or break "matches exactly one row" for every predicate it matches, so its counts have no per-record bound (each silo reports it locally).',
    'Exact match and DCR are counted per real row here (share of training rows with a synthetic row at distance 0, or within ' +
      `${DCR_CLOSE}), against the same share of control rows; the per-silo figures count synthetic rows, whose per-record sensitivity is unbounded.`,
  ];
  const base = { scope: 'aggregate' as const, party: null, method: POOLED_INTERVAL_METHOD, noise, singlingOutDesign: F > 0 ? singlingOut : null };
  const silos = F > 0 ? sum[L.soSilos] / SINGLING_OUT_ROWS_UNIT : 0;
  const block = (at: number) => Array.from({ length: F }, (_, f) => sum[at + f]).reduce((a, b) => a + b, 0);
  let singling: ReportAttackRisk | null = null;
  if (F > 0 && singlingOut.predicates >= 1 && silos >= 0.5) {
    const rate = (s: number) => singlingOutRate(s, singlingOut.predicates, silos, F, sigma, confidence);
    const { residual: _s, ...so } = reportRisk(rate(block(L.soTrain)), rate(block(L.soControl)), confidence);
    singling = so;
  } else if (F > 0) {
    notes.push(`The noisy number of silos that compared rows for singling out (${silos.toFixed(2)}) leaves no rate to estimate.`);
  }
  if (!(N1 >= 1 && N2 >= 1)) {
    notes.push(`The noisy numbers of training (${N1.toFixed(1)}) and control (${N2.toFixed(1)}) targets leave no rate to estimate (a silo without control rows counts none).`);
    return { ...base, singlingOut: singling, trainRows: Math.max(0, Math.round(N1)), controlRows: Math.max(0, Math.round(N2)), linkability: null, inference: null, mia: null, exactMatch: null, dcr: null, notes };
  }
  const bins = m + 1;
  const pair = (sTrain: number, sControl: number, conf: number) => reportRisk(noisyRate(sTrain, N1, bins, 0, sigma, conf), noisyRate(sControl, N2, bins, 0, sigma, conf), conf);
  const { residual: _l, ...linkability } = pair(sum[L.linkTrain], sum[L.linkControl], confidence);
  const perColumn = columns.map((column, s) => ({ ...pair(sum[L.inferTrain + s], sum[L.inferControl + s], confidence), column }));
  // Headline: the worst column, its interval simultaneous over the m columns (Bonferroni), as per silo.
  const worst = perColumn.reduce((a, b) => ((b.residual ?? -Infinity) > (a.residual ?? -Infinity) ? b : a));
  const w = columns.indexOf(worst.column);
  const { residual: _w, ...headline } = pair(sum[L.inferTrain + w], sum[L.inferControl + w], 1 - (1 - confidence) / m);
  const inference: InferenceRisk = { ...headline, column: worst.column, perColumn: perColumn.map(({ residual: _r, ...f }) => f) };
  const within = (k: number, basis: string): PooledRateVsControl => {
    const first = (h: readonly number[]) => h.slice(0, k).reduce((a, b) => a + b, 0);
    const t = noisyRate(first(members), N1, bins, k, sigma, confidence);
    const c = noisyRate(first(nonMembers), N2, bins, k, sigma, confidence);
    const ci = (x: NoisyRate) => [clamp01(x.rate - x.error), clamp01(x.rate + x.error)] as const;
    return { rate: clamp01(first(members) / N1), controlRate: clamp01(first(nonMembers) / N2), synthRows, basis, ci: ci(t), controlCi: ci(c) };
  };
  return {
    ...base,
    singlingOut: singling,
    trainRows: Math.round(N1),
    controlRows: Math.round(N2),
    linkability,
    inference,
    mia: pooledAuc(members, nonMembers, sigma, confidence),
    exactMatch: within(1, 'real rows with an identical synthetic row'),
    dcr: within(DCR_CLOSE + 1, `real rows with a synthetic row within Hamming distance ${DCR_CLOSE}`),
    notes,
  };
}
