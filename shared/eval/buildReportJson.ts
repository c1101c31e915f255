// buildReportJson: assembles the evaluation report (report.json, shape in EvaluationReport) from one
// party's evaluation and, optionally, the pooled consortium summary; judgeReport adds the verdicts.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { PartyEvaluation } from './evaluateParty.js';
import type { PooledSummary } from './summarizeSufficientStats.js';
import type { ReportRisk } from './RiskFigures.js';
import { judgeReport } from './judgeReport.js';
import type { EvaluationReport, PrivacySpent } from './EvaluationReport.js';
import type { ColumnWasserstein } from './continuousWasserstein.js';

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
