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

export class AgentSession {
  private seq = 0;
  private readonly waiters = new Map<string, Waiter>();
  /** Senders waiting for 'drain' (sendWhenDrained), released with an error on close. */
  private readonly drainWaiters = new Set<() => void>();
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
   * Sends `body` and resolves once the stream's buffer has room again (the 'drain' event when
   * write() said it is full), so a sender of many large frames (output delivery) holds at most the
   * stream's high-water mark in memory; rejects when the party leaves first.
   */
  async sendWhenDrained(body: Body): Promise<void> {
    if (this.write(body)) return;
    await new Promise<void>((resolve, reject) => {
      const settle = (err?: Error): void => {
        this.stream.off('drain', onDrain);
        this.stream.off('close', onClose);
        this.drainWaiters.delete(onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => settle();
      const onClose = (): void => settle(new PartyUnavailableError(this.partyId, 'stream closed'));
      this.drainWaiters.add(onClose);
      this.stream.on('drain', onDrain);
      this.stream.on('close', onClose);
    });
  }

  /** Writes one frame; false when the stream's buffer is full. */
  private write(body: Body): boolean {
    if (this.closed) throw new PartyUnavailableError(this.partyId, 'stream closed');
    this.seq += 1;
    return this.stream.write({ seq: this.seq, body });
  }

  /** Sends one round stage and waits for the party's reply to it (or rejects on timeout/close). */
  request(req: RoundRequest, timeoutMs: number): Promise<RoundReply> {
    const key = `${req.studyId}/${req.roundId}`;
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
    const key = `${reply.studyId}/${reply.roundId}`;
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
    for (const w of [...this.drainWaiters]) w();
    try {
      this.stream.end();
    } catch {
      // already gone
    }
  }
}
