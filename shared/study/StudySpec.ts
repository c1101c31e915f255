// StudySpec: a study as the services reason about it (mechanism, privacy budget, public domain,
// aggregation mode, tolerances); the wire form (proto) is converted at the edges (platform/wire/studySpecWire.ts).

/** The synthesis mechanism of a study. */
export type MechanismName = 'mst' | 'aim' | 'dpsgd';

/**
 * The terms of a DP-SGD training (mechanism `dpsgd`) the parties approve: each agent checks every
 * gradient round's plan against them (party-agent/verification/GradientVerification.ts).
 */
export interface DpsgdTraining {
  /** Gradient rounds, at most; the (epsilon, delta) budget covers all of them. */
  readonly rounds: number;
  /** q: each party Poisson-samples each of its rows with this probability per round. */
  readonly sampleRate: number;
  /** C: the per-example L2 clip norm. */
  readonly clipNorm: number;
  /** Encoder hidden widths (the decoder mirrors them). */
  readonly hidden: readonly number[];
  readonly latent: number;
  /** The coordinator's Adam step size (post-processing of the released sums). */
  readonly learningRate: number;
  /** Standard deviation of the bin-offset likelihood (shared/neural VaeSpec.offsetSigma). */
  readonly offsetSigma: number;
}

/** How the parties' noisy vectors are summed: no protection (tests), pairwise masking, or BFV encryption. */
export type AggregationMode = 'plain' | 'masking' | 'he';

/** One column of the public domain: its name and number of codes. */
export interface DomainColumn {
  readonly name: string;
  readonly size: number;
}

export interface StudySpec {
  readonly studyId: string;
  readonly title: string;
  readonly mechanism: MechanismName;
  readonly epsilon: number;
  readonly delta: number;
  /** The zCDP budget the study spends at most. */
  readonly rho: number;
  /** Columns the study reads (the consortium domain). */
  readonly columns: readonly string[];
  /** The public domain, in column order. */
  readonly domain: readonly DomainColumn[];
  readonly aggregation: AggregationMode;
  /** Threshold t: with fewer survivors a round fails. */
  readonly minParties: number;
  /** f: parties that may collude with the coordinator. */
  readonly colluders: number;
  /** d: parties whose noise may be missing. */
  readonly dropouts: number;
  readonly syntheticRows: number;
  readonly domainHash: string;
  readonly maxSilosPerIndividual: number;
  /** For utility evaluation; '' = none. */
  readonly targetColumn: string;
  /** The public consortium schema (JSON) of a study on raw data; '' = integer codes. */
  readonly schemaJson: string;
  /** Masking: SecAgg+ neighbourhood size k; 0 = the full graph. */
  readonly neighbours: number;
  /** Mechanism `dpsgd` only: the training terms (absent otherwise). */
  readonly training?: DpsgdTraining;
  /**
   * The part of `rho` reserved for the post-delivery pooled risk release (docs/privacy.md "Pooled
   * risk"); the mechanism spends rho − evaluationRho. Absent (or 0) = no pooled risk.
   */
  readonly evaluationRho?: number;
}

/** The rho a study's mechanism may spend: its budget less the pooled risk release's reservation. */
export function synthesisRho(spec: Pick<StudySpec, 'rho' | 'evaluationRho'>): number {
  return spec.rho - (spec.evaluationRho ?? 0);
}
