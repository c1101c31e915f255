// AgentSession: one connected party agent's bidirectional stream on the coordinator, with
// request/reply matching for round stages and liveness from heartbeats.
import type * as grpc from '@grpc/grpc-js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { AgentMessage, CoordinatorMessage, RoundReply, RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';

type Body = NonNullable<CoordinatorMessage['body']>;

interface Waiter {
  resolve: (r: RoundReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Raised (as a rejection) when a party leaves or times out during a round stage. */
export class PartyUnavailableError extends FedsynthError {
  constructor(partyId: string, why: string) {
    super(ErrorCode.SourceUnavailable, `party ${partyId} is unavailable: ${why}`, { partyId });
  }
}

/** What a round reply is matched on: study, round id and the attempt it answers. */
function waiterKey(m: { studyId: string; roundId: string; attempt: number }): string {
  return `${m.studyId}/${m.roundId}#${m.attempt}`;
}

export class AgentSession {
  private seq = 0;
  private readonly waiters = new Map<string, Waiter>();
  /** Senders waiting for their frame to be handed on (sendFlushed), released with an error on close. */
  private readonly flushWaiters = new Set<() => void>();
  lastSeenMs = Date.now();
  closed = false;

  constructor(
    readonly partyId: string,
    /** The party's certificate (DER) from its mTLS connection. */
    readonly certificate: Uint8Array,
    private readonly stream: grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage>,
  ) {}

  send(body: Body): void {
    this.write(body);
  }

  /**
   * Sends `body` and resolves once the stream has handed the frame on (its write callback: grpc-js
   * calls it when the HTTP/2 stream took the serialized frame, i.e. as the party's flow-control
   * window lets it through), so a sender of many large frames (output delivery) knows how many it
   * still holds; rejects when the write fails or the party leaves first.
   */
  sendFlushed(body: Body): Promise<void> {
    if (this.closed) return Promise.reject(new PartyUnavailableError(this.partyId, 'stream closed'));
    return new Promise<void>((resolve, reject) => {
      const settle = (err?: Error | null): void => {
        if (!this.flushWaiters.delete(onClose)) return;
        this.stream.off('close', onClose);
        if (err) reject(err instanceof PartyUnavailableError ? err : new PartyUnavailableError(this.partyId, `write failed: ${err.message}`));
        else resolve();
      };
      // grpc-js drops the callback of a cancelled call: the stream's close settles it instead.
      const onClose = (): void => settle(new PartyUnavailableError(this.partyId, 'stream closed'));
      this.flushWaiters.add(onClose);
      this.stream.on('close', onClose);
      this.seq += 1;
      try {
        this.stream.write({ seq: this.seq, body }, (err?: Error | null) => settle(err));
      } catch (e) {
        settle(e as Error);
      }
    });
  }

  /** Writes one frame. */
  private write(body: Body): void {
    if (this.closed) throw new PartyUnavailableError(this.partyId, 'stream closed');
    this.seq += 1;
    this.stream.write({ seq: this.seq, body });
  }

  /**
   * Sends one round stage and waits for the party's reply to it (or rejects on timeout/close). A
   * reply is matched on study, round id AND attempt (the agent echoes `RoundRequest.attempt`): a
   * retry that keeps the round id never takes the late answer to the attempt before it.
   */
  request(req: RoundRequest, timeoutMs: number): Promise<RoundReply> {
    const key = waiterKey(req);
    const prev = this.waiters.get(key);
    if (prev) {
      clearTimeout(prev.timer);
      prev.reject(new FedsynthError(ErrorCode.OutOfStep, `superseded request for ${key}`));
    }
    return new Promise<RoundReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new PartyUnavailableError(this.partyId, `no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, { resolve, reject, timer });
      try {
        this.send({ $case: 'roundRequest', value: req });
      } catch (e) {
        clearTimeout(timer);
        this.waiters.delete(key);
        reject(e as Error);
      }
    });
  }

  /** Routes a reply to its waiter; false when nobody waits (late or replayed: ignored). */
  deliver(reply: RoundReply): boolean {
    const key = waiterKey(reply);
    const w = this.waiters.get(key);
    if (!w) return false;
    this.waiters.delete(key);
    clearTimeout(w.timer);
    w.resolve(reply);
    return true;
  }

  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const [key, w] of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new PartyUnavailableError(this.partyId, why));
      this.waiters.delete(key);
    }
    for (const w of [...this.flushWaiters]) w();
    try {
      this.stream.end();
    } catch {
      // already gone
    }
  }
}
