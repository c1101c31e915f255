// CustodianGateway: the coordinator's side of the key custodian's dial-out stream (certificate role
// "custodian"): asks for a study's HE public key and sends aggregates to be decrypted, by request id.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { HeParams } from '../../shared/he/HeParameters.js';
import type { HeAggregate } from '../../shared/he/HeMessages.js';
import { aggregateToWire, heParamsFromWire, heParamsToWire, sumFromWire } from '../../shared/wire/heWire.js';
import type { CustodianGatewayServer, CustodianMessage, CustodianRequest } from '../../proto/generated/fedsynth/custodian/v1/custodian.js';
import { peerIdentity } from '../gateway/peerIdentity.js';
import { toGrpcError } from '../grpcErrors.js';

type RequestBody = NonNullable<CustodianRequest['body']>;
type ReplyBody = NonNullable<CustodianMessage['body']>;

/** A study's public key as the coordinator uses it (never any secret). */
export interface StudyHeKey {
  keyId: string;
  publicKey: Uint8Array;
  params: HeParams;
  minContributors: number;
}

interface Session {
  custodianId: string;
  call: grpc.ServerDuplexStream<CustodianMessage, CustodianRequest>;
  seq: number;
  closed: boolean;
}

interface Waiter {
  session: Session;
  resolve: (b: ReplyBody) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class CustodianGateway {
  private session: Session | undefined;
  private nextRequestId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private readonly keys = new Map<string, Promise<StudyHeKey>>();

  constructor(
    private readonly log: Logger,
    private readonly isRevoked: (serial: string) => boolean,
  ) {}

  get online(): boolean {
    return this.session !== undefined && !this.session.closed;
  }

  /** Resolves when a custodian is connected; SourceUnavailable after `timeoutMs`. */
  async waitOnline(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.online) {
      if (Date.now() > deadline) throw new FedsynthError(ErrorCode.SourceUnavailable, 'no key custodian is connected (HE mode needs `fedsynth custodian start`)');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The study's public key (asked once per study and parameters, then cached). */
  publicKey(studyId: string, params: HeParams, minContributors: number, timeoutMs: number): Promise<StudyHeKey> {
    const cacheKey = `${studyId}#${params.polyModulusDegree}-${params.plainModulusBits}`;
    let p = this.keys.get(cacheKey);
    if (!p) {
      p = this.askKey(studyId, params, minContributors, timeoutMs);
      this.keys.set(cacheKey, p);
      p.catch(() => this.keys.delete(cacheKey));
    }
    return p;
  }

  private async askKey(studyId: string, params: HeParams, minContributors: number, timeoutMs: number): Promise<StudyHeKey> {
    const reply = await this.request({ $case: 'keyRequest', value: { studyId, params: heParamsToWire(params), minContributors } }, timeoutMs);
    if (reply.$case !== 'key') throw new FedsynthError(ErrorCode.ProtocolViolation, `custodian answered a key request with ${reply.$case}`);
    const got = heParamsFromWire(reply.value.params, 'key.params');
    if (got.polyModulusDegree !== params.polyModulusDegree || got.plainModulusBits !== params.plainModulusBits || reply.value.publicKey.byteLength === 0) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, 'custodian returned a key for other parameters');
    }
    this.log.info({ studyId, keyId: reply.value.keyId, minContributors: reply.value.minContributors }, 'obtained the study HE public key from the custodian');
    return { keyId: reply.value.keyId, publicKey: new Uint8Array(reply.value.publicKey), params: got, minContributors: reply.value.minContributors };
  }

  /** Sends an aggregate for decryption; returns the exact sum (a refusal rethrows its code). */
  async decrypt(keyId: string, threshold: number, agg: HeAggregate, timeoutMs: number): Promise<Float64Array> {
    const reply = await this.request({ $case: 'decrypt', value: aggregateToWire(keyId, threshold, agg) }, timeoutMs);
    if (reply.$case !== 'decrypted' || reply.value.roundId !== agg.roundId) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, `custodian answered a decrypt request with ${reply.$case}`);
    }
    return sumFromWire(reply.value.sum, agg.vectorLength);
  }

  private async request(body: RequestBody, timeoutMs: number): Promise<ReplyBody> {
    const deadline = Date.now() + timeoutMs;
    await this.waitOnline(timeoutMs);
    const session = this.session!;
    const requestId = this.nextRequestId++;
    const reply = await new Promise<ReplyBody>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(requestId);
        reject(new FedsynthError(ErrorCode.SourceUnavailable, `key custodian did not answer within ${timeoutMs} ms`));
      }, Math.max(1, deadline - Date.now()));
      this.waiters.set(requestId, { session, resolve, reject, timer });
      session.seq += 1;
      session.call.write({ seq: session.seq, requestId, body });
    });
    if (reply.$case === 'refusal') {
      const code = (Object.values(ErrorCode) as string[]).includes(reply.value.code) ? (reply.value.code as ErrorCode) : ErrorCode.Internal;
      throw new FedsynthError(code, `key custodian refused: ${reply.value.message}`);
    }
    return reply;
  }

  private drop(session: Session, why: string): void {
    if (session.closed) return;
    session.closed = true;
    for (const [id, w] of this.waiters) {
      if (w.session !== session) continue;
      clearTimeout(w.timer);
      this.waiters.delete(id);
      w.reject(new FedsynthError(ErrorCode.SourceUnavailable, `key custodian disconnected: ${why}`));
    }
    if (this.session === session) this.session = undefined;
    try {
      session.call.end();
    } catch {
      // already gone
    }
  }

  closeAll(): void {
    if (this.session) this.drop(this.session, 'coordinator shutting down');
  }

  readonly service: CustodianGatewayServer = {
    connect: (call: grpc.ServerDuplexStream<CustodianMessage, CustodianRequest>) => {
      let custodianId: string;
      try {
        const id = peerIdentity(call, this.isRevoked);
        if (id.role !== 'custodian') throw new FedsynthError(ErrorCode.Unauthenticated, `role '${id.role}' may not connect as the key custodian`, { partyId: id.partyId });
        custodianId = id.partyId;
      } catch (e) {
        this.log.warn({ err: (e as Error).message }, 'refused a custodian connection');
        call.emit('error', toGrpcError(e));
        return;
      }
      let session: Session | undefined;
      let lastSeq = 0;
      call.on('data', (msg: CustodianMessage) => {
        if (msg.seq <= lastSeq || !msg.body) return;
        lastSeq = msg.seq;
        if (!session) {
          if (msg.body.$case !== 'hello') return;
          if (this.session) this.drop(this.session, 'replaced by a new custodian connection');
          session = { custodianId, call, seq: 0, closed: false };
          this.session = session;
          session.seq += 1;
          call.write({ seq: session.seq, requestId: 0, body: { $case: 'welcome', value: { custodianId, coordinatorId: 'coordinator' } } });
          this.log.info({ custodianId }, 'key custodian online');
          return;
        }
        if (msg.body.$case === 'hello' || msg.body.$case === 'heartbeat') return;
        const w = this.waiters.get(msg.requestId);
        if (!w || w.session !== session) {
          this.log.warn({ custodianId, requestId: msg.requestId }, 'late or unexpected custodian answer ignored');
          return;
        }
        this.waiters.delete(msg.requestId);
        clearTimeout(w.timer);
        w.resolve(msg.body);
      });
      const end = (why: string): void => {
        if (session) {
          this.log.info({ custodianId, why }, 'key custodian offline');
          this.drop(session, why);
        }
      };
      call.on('end', () => end('stream ended'));
      call.on('error', (e) => end(`stream error: ${e.message}`));
      call.on('cancelled', () => end('stream cancelled'));
    },
  };
}
