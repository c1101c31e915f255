// ComputeStage: what a round asks each party to compute and release (the query, its noise plan, the
// charge key, the aggregation); the wire form (proto) is converted at the edges (platform/wire/computeStageWire.ts).
import type { AggregationMode } from './StudySpec.js';

/** HE mode: the custodian's endorsement of the round's public key (checked by each party before it charges). */
export interface HeKeyEndorsement {
  readonly keyId: string;
  /** The key's t, fixed by the custodian when it made the key. */
  readonly minContributors: number;
  /** Ed25519 over shared/he/heKeyEndorsement.ts heKeyEndorsementPayload. */
  readonly signature: Uint8Array;
  /** DER. */
  readonly custodianCertificate: Uint8Array;
  /** studySpecHash of the study the custodian made the key for (signed). */
  readonly specHash: string;
}

export interface ComputeStage {
  /** The zCDP cost of the released sum. */
  readonly rho: number;
  /** The variance of each party's discrete Gaussian share. */
  readonly perPartySigma2: number;
  /** Idempotency key: study/round/measurement. */
  readonly chargeKey: string;
  readonly label: string;
  readonly vectorLength: number;
  readonly aggregation: AggregationMode;
  /** The parties of this round, in index order. */
  readonly participants: readonly string[];
  /** Fewest survivors for the round to count. */
  readonly threshold: number;
  readonly modulusBits: number;
  /** HE mode: the custodian's public key (empty otherwise). */
  readonly hePublicKey: Uint8Array;
  /** HE mode: the custodian's endorsement of hePublicKey. */
  readonly heKeyEndorsement?: HeKeyEndorsement;
  /** Masking: SecAgg+ neighbourhood size k; 0 = the full graph. */
  readonly neighbours: number;
  /** HE mode: the largest ciphertext chunk the coordinator accepts; 0 = the default. */
  readonly maxChunkBytes: number;
  /** The encoded LocalQuery, or its last chunk. */
  readonly query: Uint8Array;
  /** Chunks of the encoded query (0 or 1: `query` is all of it). */
  readonly queryChunkCount: number;
  /** SHA-256 of the whole encoded query. */
  readonly querySha256: Uint8Array;
}
