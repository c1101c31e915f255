// RoundAttempts: the newest attempt of each round the coordinator has sent this agent
// (RoundRequest.attempt), so a request of an older attempt, still queued or still computing, is abandoned;
// and the key (study, round) under which the agent keeps a round's per-attempt state.

/** Rounds remembered (oldest forgotten first): far more than a study has in flight. */
const KEPT_ROUNDS = 256;

/** One attempt of one round of one study: what every RoundRequest names (and its reply echoes). */
export interface RoundAttemptId {
  studyId: string;
  roundId: string;
  attempt: number;
}

/**
 * The key of a round's state at the agent. Round ids are unique only within a study (the coordinator
 * makes them `<study>/r<index>`, but the agent does not rely on that), so the study is part of the key;
 * the attempt is kept BESIDE the state, so a request of another attempt finds the round and is refused.
 */
export function roundKey(r: { studyId: string; roundId: string }): string {
  return `${r.studyId}\n${r.roundId}`;
}

/**
 * A retry that keeps the round id (same charge key, no new charge) reaches a slow agent while it
 * may still be working on the attempt before it: the agent's rounds run one at a time, in order.
 * The coordinator takes a reply only for the attempt it waits on (coordinator/gateway/AgentSession),
 * so an answer to the old attempt is lost work at best; and in masking mode it would also start the
 * round's secure aggregation with keys the coordinator never sees. The dispatcher notes every
 * request as it ARRIVES (before it waits in the queue) and asks, before it starts a request and
 * again before it contributes, whether a later attempt of the same round has arrived since.
 * Attempt 0 (unnumbered: test doubles) is never superseded by another 0.
 */
export class RoundAttempts {
  private readonly newest = new Map<string, number>();

  constructor(private readonly capacity = KEPT_ROUNDS) {}

  /** Notes a request of `attempt` of round `roundId` of `studyId` as it arrives. */
  arrived(studyId: string, roundId: string, attempt: number): void {
    const key = roundKey({ studyId, roundId });
    const known = this.newest.get(key);
    if (known !== undefined && known >= attempt) return;
    this.newest.delete(key);
    this.newest.set(key, attempt);
    while (this.newest.size > this.capacity) this.newest.delete(this.newest.keys().next().value as string);
  }

  /** The newest attempt of the round that has arrived when it is later than `attempt`; undefined otherwise. */
  supersededBy(studyId: string, roundId: string, attempt: number): number | undefined {
    const known = this.newest.get(roundKey({ studyId, roundId }));
    return known !== undefined && known > attempt ? known : undefined;
  }
}
