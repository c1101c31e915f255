// ComparisonReport: the report of a model comparison (`simulate --mechanism aim,dpsgd`) — the budget
// stated up front, what every party's ledger was charged, and each model's full evaluation side by side.
import type { ComparisonBudget } from '../study/BudgetSplit.js';
import type { MechanismName } from '../study/StudySpec.js';
import type { EvaluationReport } from './EvaluationReport.js';

export const COMPARISON_REPORT_FORMAT = 'fedsynth-comparison-report/v1';

/** What one study of the comparison charged one party's ledger (read back from the ledger). */
export interface LedgerStudyCharges {
  readonly studyId: string;
  readonly mechanism: MechanismName;
  /** Ledger rows of the study. */
  readonly charges: number;
  /** Sum of their zCDP parts. */
  readonly rho: number;
  /** Rows carrying an RDP curve (the gradient rounds of dpsgd). */
  readonly rdpCharges: number;
  /** Every charge of the study composed (PrivacyLoss) and converted at the study's delta. */
  readonly epsilon: number;
  readonly delta: number;
}

/** One party's ledger after the comparison. */
export interface PartyLedgerSummary {
  readonly party: string;
  readonly studies: readonly LedgerStudyCharges[];
  /** Every charge of the comparison composed (Renyi composition) and converted at the combined delta. */
  readonly composedEpsilon: number;
  readonly composedDelta: number;
  /** The basic-composition sum of the studies' own epsilons (what the stated combined cost bounds). */
  readonly sumOfStudyEpsilons: number;
}

/** One model of the comparison. */
export interface ComparedModel {
  readonly mechanism: MechanismName;
  readonly studyId: string;
  /** The share of the budget the study was created with. */
  readonly budget: { readonly epsilon: number; readonly delta: number };
  /** Spent, as the coordinator signed it in the study's run.json. */
  readonly spent: { readonly rho: number; readonly epsilon: number; readonly delta: number };
  /** Output files, relative to the comparison's directory. */
  readonly files: { readonly synthetic: string; readonly model: string; readonly signedOutputs: string };
  readonly studySeconds: number;
  readonly report: EvaluationReport;
}

export interface ComparisonReport {
  readonly format: typeof COMPARISON_REPORT_FORMAT;
  readonly title: string;
  readonly columns: readonly string[];
  readonly labels: readonly (readonly string[])[];
  readonly rows: { readonly training: number; readonly control: number };
  readonly budget: ComparisonBudget & {
    /** Each party's ledger lifetime cap for the comparison (every charge of every study must fit it). */
    readonly ledgerCap: { readonly epsilon: number; readonly delta: number };
  };
  readonly ledgers: readonly PartyLedgerSummary[];
  readonly models: readonly ComparedModel[];
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly notes: readonly string[];
}
