// RiskFigures: the shape of the Anonymeter-style risk evaluation (issue 19 item 1) — filled by the
// risk evaluation (shared/eval/risk/), printed by `fedsynth evaluate --privacy`, rendered in report.html.
//
// Anonymeter (Giomi et al., PETS 2023): an attack is run against the synthetic data; its success on
// the party's training rows is compared with its success on control rows the model never saw.
// risk = (attackRate - controlRate) / (1 - controlRate), with a confidence interval. The three
// criteria are those of the Article 29 Working Party opinion 05/2014 on anonymisation.

/** Successes of an attack out of the attacks made, and their ratio. Counts add across silos. */
export interface AttackRate {
  readonly successes: number;
  readonly attacks: number;
  /** successes / attacks (0 when attacks is 0). */
  readonly rate: number;
}

/** One criterion measured as Anonymeter does. */
export interface AttackRisk {
  /** (attack.rate - control.rate) / (1 - control.rate), clamped to [0, 1]. */
  readonly risk: number;
  /** Confidence interval of `risk`, [low, high], at `confidence` (e.g. 0.95). */
  readonly ci: readonly [number, number];
  readonly confidence: number;
  /** Success on the party's training rows (the rows the synthetic data was made from). */
  readonly attack: AttackRate;
  /** Success on control rows never used in training: the reference the attack is judged against. */
  readonly control: AttackRate;
  /** A naive attack that ignores the synthetic data (a sanity check: the main attack should beat it). */
  readonly baseline: AttackRate | null;
}

/** Attribute inference: the top-level figures are the secret column with the largest risk. */
export interface InferenceRisk extends AttackRisk {
  readonly column: string | null;
  readonly perColumn: readonly (AttackRisk & { readonly column: string })[];
}

/** Membership inference: AUC of an attack telling training rows from control rows (0.5 = guessing). */
export interface MembershipInference {
  readonly auc: number;
  readonly ci: readonly [number, number] | null;
  /** e.g. 'density-ratio' or 'shadow-model'. */
  readonly method: string;
  readonly members: number;
  readonly nonMembers: number;
}

/**
 * A per-row disclosure rate measured against training rows and, as its reference, against an
 * equally large control sample (the rate a model that never saw the training rows would show).
 */
export interface RateVsControl {
  /** Share of synthetic rows (e.g. equal to / nearest to) a training row. */
  readonly rate: number;
  /** The same share measured against the control rows. */
  readonly controlRate: number;
  readonly synthRows: number;
}

/** The risk figures of one silo (scope 'silo') or of the consortium (scope 'aggregate'). */
export interface RiskFigures {
  readonly scope: 'silo' | 'aggregate';
  /** The party the figures belong to (scope 'silo'); null for an aggregate or an unnamed silo. */
  readonly party: string | null;
  readonly trainRows: number;
  /** Rows held back before any release and never used in training. */
  readonly controlRows: number;
  readonly singlingOut: AttackRisk | null;
  readonly linkability: AttackRisk | null;
  readonly inference: InferenceRisk | null;
  readonly mia: MembershipInference | null;
  /** Exact copies: share of synthetic rows equal to some training row vs to some control row. */
  readonly exactMatch: RateVsControl | null;
  /** Distance to closest record: share of synthetic rows within the DCR threshold of a training row vs a control row. */
  readonly dcr: RateVsControl | null;
  /** What could not be measured and why. */
  readonly notes: readonly string[];
}

/**
 * The risk part of report.json: `privacy.risk` holds the figures of the evaluation the report is
 * about (a silo's own, or the consortium's aggregate); `privacy.riskPerSilo` one entry per silo.
 */
export interface ReportRisk {
  readonly risk: RiskFigures | null;
  readonly riskPerSilo: readonly RiskFigures[];
}
