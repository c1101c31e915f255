// RoundPlan and RoundOutcome: what the coordinator asks in one secure-sum round and what it learns
// (only the sum of the survivors' noisy vectors), independent of the aggregation mode.
import type { ComputeStage } from '../../shared/study/ComputeStage.js';

export interface RoundPlan {
  studyId: string;
  roundId: string;
  roundIndex: number;
  /**
   * The coordinator's attempt of this round (CoordinatorStore.beginRoundAttempt: 1, 2, ...), sent in
   * every stage and echoed by the agent; a reply of another attempt is not this round's answer.
   * Absent = 0 (unnumbered: benches and test doubles that run one attempt).
   */
  attempt?: number;
  participants: string[];
  compute: ComputeStage;
  timeoutMs: number;
  /** Largest query chunk per message (default QUERY_CHUNK_BYTES, 4 MiB − 64 KiB). */
  queryChunkBytes?: number;
  /**
   * Called when a party answers the compute stage with anything but a refusal: agents charge
   * their ledger before they answer, so this party's charge under the plan's key is confirmed.
   */
  onCharged?(partyId: string): void;
}

export interface RoundOutcome {
  sum: Float64Array;
  survivors: string[];
  dropped: string[];
  refusals: { partyId: string; code: string; message: string }[];
}
