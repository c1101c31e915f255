// EvaluationReport: the shape of report.json — every number the HTML page shows (fidelity, utility,
// privacy, privacy spent, run parameters, what could not be evaluated) and the release summary's
// verdicts. Types only: buildReportJson assembles it, judgeReport judges it, the render* pages show it.
import type { PartyEvaluation } from './evaluateParty.js';
import type { PooledSummary } from './summarizeSufficientStats.js';
import type { RiskFigures } from './RiskFigures.js';
import type { SubgroupFidelity } from './subgroupFidelity.js';
import type { ColumnWasserstein } from './continuousWasserstein.js';

export type Verdict = 'pass' | 'review' | 'fail';

/** One line of the summary. */
export interface Criterion {
  readonly id: string;
  readonly group: 'fidelity' | 'utility' | 'privacy' | 'guarantee';
  readonly label: string;
  /** The measured figure, formatted (or 'not measured'). */
  readonly value: string;
  /** What the figure is judged against (control rate, holdout ceiling, TRTR), or why there is none. */
  readonly reference: string;
  /** The rule applied, in words. */
  readonly threshold: string;
  readonly verdict: Verdict;
  /** What the figure means, in one sentence. */
  readonly meaning: string;
}

export interface ReportSummary {
  /** fail if any criterion fails, else review if any needs review, else pass. */
  readonly verdict: Verdict;
  readonly criteria: readonly Criterion[];
}

/** Privacy spent by the run that produced the synthetic data (taken from the caller). */
export interface PrivacySpent {
  readonly rho?: number;
  readonly epsilon?: number;
  readonly delta?: number;
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
