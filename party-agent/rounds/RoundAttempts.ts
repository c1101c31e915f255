// RoundAttempts: the newest attempt of each round the coordinator has sent this agent
// (RoundRequest.attempt), so a request of an older attempt, still queued or still computing, is abandoned.

/** Rounds remembered (oldest forgotten first): far more than a study has in flight. */
const KEPT_ROUNDS = 256;

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
    const key = `${studyId}\n${roundId}`;
    const known = this.newest.get(key);
    if (known !== undefined && known >= attempt) return;
    this.newest.delete(key);
    this.newest.set(key, attempt);
    while (this.newest.size > this.capacity) this.newest.delete(this.newest.keys().next().value as string);
  }

  /** The newest attempt of the round that has arrived when it is later than `attempt`; undefined otherwise. */
  supersededBy(studyId: string, roundId: string, attempt: number): number | undefined {
    const known = this.newest.get(`${studyId}\n${roundId}`);
    return known !== undefined && known > attempt ? known : undefined;
  }
}
