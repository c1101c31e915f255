// buildReportJson: the evaluation report as plain JSON (report.json) — the numbers the HTML page
// shows: fidelity, utility, privacy, privacy spent, run parameters, and what could not be evaluated.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { PartyEvaluation } from './evaluateParty.js';
import type { PooledSummary } from './summarizeSufficientStats.js';
import type { ReportRisk, RiskFigures } from './RiskFigures.js';
import { judgeReport, type ReportSummary } from './judgeReport.js';
import type { SubgroupFidelity } from './subgroupFidelity.js';
import type { ColumnWasserstein } from './continuousWasserstein.js';

/** Privacy spent by the run that produced the synthetic data (taken from the caller). */
export interface PrivacySpent {
  readonly rho?: number;
  readonly epsilon?: number;
  readonly delta?: number;
}

/** Inputs of the report. */
export interface ReportInput {
  readonly title?: string;
  readonly evaluation: PartyEvaluation;
  readonly pooled?: PooledSummary | null;
  readonly privacySpent?: PrivacySpent | null;
  readonly parameters?: Readonly<Record<string, string | number | boolean>>;
  /** Label of every code of every column (`labels[c][code]`, from the schema); default: the codes. */
  readonly labels?: readonly (readonly string[])[] | null;
  /** The Anonymeter-style risk evaluation (shared/eval/risk/), when it was run. */
  readonly risk?: Partial<ReportRisk> | null;
  /** Continuous columns' range-normalized Wasserstein distances (continuousWasserstein), when values were compared. */
  readonly wasserstein?: readonly ColumnWasserstein[] | null;
}

/** The JSON report; every number shown in the HTML page is here. */
export interface EvaluationReport {
  readonly title: string;
  readonly columns: readonly string[];
  /** `labels[c][code]`: category names, bin ranges (from the schema), or the codes themselves. */
  readonly labels: readonly (readonly string[])[];
  /** Whether `labels` came from a schema (false: codes only). */
  readonly labelsFromSchema: boolean;
  /** Pass / review / fail per criterion, thresholds stated (judgeReport). */
  readonly summary: ReportSummary;
  readonly rows: { readonly real: number; readonly holdout: number; readonly synthetic: number };
  readonly fidelity: {
    readonly tv: readonly { readonly way: number; readonly avg: number; readonly max: number; readonly count: number }[];
    readonly tvHoldoutCeiling: readonly { readonly way: number; readonly avg: number; readonly max: number }[] | null;
    /** Commercial-tool comparable: accuracy = 1 - average TV, per marginal size, and its ceiling. */
    readonly accuracy: readonly { readonly way: number; readonly synthetic: number; readonly holdoutCeiling: number | null }[];
    readonly marginals: readonly { readonly attrs: readonly string[]; readonly tv: number }[];
    readonly correlation: PartyEvaluation['local']['correlation'];
    readonly distributions: PartyEvaluation['local']['distributions'];
    readonly subgroups: SubgroupFidelity | null;
    /** Per continuous column of the schema: 1-D Wasserstein distance / range of real vs synthetic values; null without a schema. */
    readonly wasserstein: readonly ColumnWasserstein[] | null;
  };
  readonly utility: {
    readonly target: string;
    readonly testRows: number;
    readonly tstr: { readonly accuracy: number; readonly macroF1: number; readonly auc: number | null };
    readonly trtr: { readonly accuracy: number; readonly macroF1: number; readonly auc: number | null };
  } | null;
  readonly privacy: {
    readonly exactMatchRate: number;
    readonly exactCopies: number;
    readonly dcrShare: number | null;
    readonly miaAuc: number | null;
    readonly nndrMean: number;
    readonly discriminatorAuc: number;
    readonly dcrHistogram: readonly number[];
    readonly nndrHistogram: readonly number[];
    /** Anonymeter-style risk of the evaluated data (a silo's own or the aggregate); null if not run. */
    readonly risk: RiskFigures | null;
    /** The same figures per silo (empty when only one silo's figures are known). */
    readonly riskPerSilo: readonly RiskFigures[];
  };
  readonly pooled: PooledSummary | null;
  readonly privacySpent: PrivacySpent | null;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly unavailable: readonly string[];
  readonly seconds: Readonly<Record<string, number>>;
}

/** Assembles the report from one evaluation (and optionally the pooled consortium summary). */
export function buildReportJson(input: ReportInput): EvaluationReport {
  const l = input.evaluation.local;
  const cols = input.evaluation.additive.columns;
  const score = (s: { accuracy: number; macroF1: number; auc: number | null }) => ({ accuracy: s.accuracy, macroF1: s.macroF1, auc: s.auc });
  const labels = input.labels ?? input.evaluation.additive.sizes.map((k) => Array.from({ length: k }, (_, code) => String(code)));
  if (labels.length !== cols.length || labels.some((l, c) => l.length !== input.evaluation.additive.sizes[c])) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'report labels do not match the domain (one label per code of every column)', { field: 'labels' });
  }
  const report: Omit<EvaluationReport, 'summary'> = {
    title: input.title ?? 'Synthetic data evaluation',
    columns: cols,
    labels,
    labelsFromSchema: !!input.labels,
    rows: { real: l.rows, holdout: l.holdoutRows, synthetic: l.synthRows },
    fidelity: {
      tv: l.tv.byWay.map((s, i) => ({ way: i + 1, avg: s.avg, max: s.max, count: s.count })),
      tvHoldoutCeiling: l.tvHoldout ? l.tvHoldout.byWay.map((s, i) => ({ way: i + 1, avg: s.avg, max: s.max })) : null,
      accuracy: l.tv.byWay.map((s, i) => ({
        way: i + 1,
        synthetic: 1 - s.avg,
        holdoutCeiling: l.tvHoldout ? 1 - l.tvHoldout.byWay[i].avg : null,
      })),
      marginals: l.tv.marginals.map((mv) => ({ attrs: mv.attrs.map((a) => cols[a]), tv: mv.tv })),
      correlation: l.correlation,
      distributions: l.distributions,
      subgroups: l.subgroups,
      wasserstein: input.wasserstein ?? null,
    },
    utility: l.utility && { target: l.utility.target, testRows: l.utility.testRows, tstr: score(l.utility.tstr), trtr: score(l.utility.trtr) },
    privacy: {
      exactMatchRate: l.privacy.exactMatchRate,
      exactCopies: l.privacy.exactCopies,
      dcrShare: l.privacy.dcr?.share ?? null,
      miaAuc: l.privacy.mia?.auc ?? null,
      nndrMean: l.privacy.nndrMean,
      discriminatorAuc: l.discriminator.auc,
      dcrHistogram: l.privacy.dcrHistogram,
      nndrHistogram: l.privacy.nndrHistogram,
      risk: input.risk?.risk ?? null,
      riskPerSilo: input.risk?.riskPerSilo ?? [],
    },
    pooled: input.pooled ?? null,
    privacySpent: input.privacySpent ?? null,
    parameters: input.parameters ?? {},
    unavailable: l.unavailable,
    seconds: input.evaluation.seconds,
  };
  return { ...report, summary: judgeReport(report) };
}
