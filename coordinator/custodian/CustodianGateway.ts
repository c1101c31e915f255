// CustodianGateway: the coordinator's side of the key custodian's dial-out stream (certificate role
// "custodian"): asks for a study's HE public key and sends aggregates to decrypt in bounded chunks.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { HeParams } from '../../shared/he/HeParameters.js';
import type { HeAggregate } from '../../shared/he/HeMessages.js';
import { DEFAULT_MAX_CHUNK_BYTES } from '../../shared/he/HeChunk.js';
import { aggregateToWireChunks, heParamsFromWire, heParamsToWire, sumChunkFromWire } from '../../platform/wire/heWire.js';
import type { CustodianGatewayServer, CustodianMessage, CustodianRequest } from '../../proto/generated/fedsynth/custodian/v1/custodian.js';
import { acceptStreamPeer } from '../gateway/peerIdentity.js';
import { toGrpcError } from '../grpcErrors.js';
import { isMalformed } from '../../platform/grpc/tolerantDecoding.js';
import { HeSumAssembler } from './HeSumAssembler.js';
import { FrameRefusals } from '../../platform/grpc/FrameRefusals.js';
import { studySpecToWire } from '../../platform/wire/studySpecWire.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';

/** A study as announced to the parties (spec and invited parties): sent with every key request. */
export interface AnnouncedStudy {
  spec: StudySpec;
  parties: readonly string[];
}

/** Certificate roles (OU) that may open this gateway's stream. */
const CUSTODIAN_ROLES: ReadonlySet<string> = new Set(['custodian']);

type RequestBody = NonNullable<CustodianRequest['body']>;
type ReplyBody = NonNullable<CustodianMessage['body']>;

/** A study's public key as the coordinator uses it (never any secret). */
export interface StudyHeKey {
  keyId: string;
  publicKey: Uint8Array;
  params: HeParams;
  minContributors: number;
  /** The custodian's signature over the key and its certificate (DER), relayed to the parties as is. */
  signature: Uint8Array;
  custodianCertificate: Uint8Array;
  /** The studySpecHash the custodian signed the key for. */
  specHash: string;
}

interface Session {
  custodianId: string;
  call: grpc.ServerDuplexStream<CustodianMessage, CustodianRequest>;
  seq: number;
  closed: boolean;
}

interface Waiter {
  session: Session;
  /** Takes one answer message; true when the request is settled (resolved or rejected). */
  take: (b: ReplyBody) => boolean;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Chunk budgets of one decrypt request (both default to the gateway's own budget). */
export interface DecryptChunking {
  /** Ciphertext bytes per request chunk (a single larger ciphertext still goes alone). */
  maxChunkBytes?: number;
  /** Sum bytes per reply chunk the custodian may send (it never goes below 1 KiB). */
  maxReplyChunkBytes?: number;
}

export interface CustodianGatewayOptions {
  /** Default chunk budget in both directions: 4 MiB - 64 KiB (shared/he/HeChunk.ts). */
  maxChunkBytes?: number;
}

export class CustodianGateway {
  private session: Session | undefined;
  private nextRequestId = 1;
  private readonly waiters = new Map<number, Waiter>();
  private readonly keys = new Map<string, Promise<StudyHeKey>>();

  private readonly maxChunkBytes: number;
  /** Well-formed custodian frames refused (replayed, without a body, answers nobody waits for): logged naming the field, counted. */
  readonly refusedFrames: FrameRefusals;

  constructor(
    private readonly log: Logger,
    private readonly isRevoked: (serial: string) => boolean,
    options: CustodianGatewayOptions = {},
  ) {
    this.maxChunkBytes = options.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
    this.refusedFrames = new FrameRefusals(log, 'custodian');
  }

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
  publicKey(study: AnnouncedStudy, params: HeParams, minContributors: number, timeoutMs: number): Promise<StudyHeKey> {
    const studyId = study.spec.studyId;
    const cacheKey = `${studyId}#${params.polyModulusDegree}-${params.plainModulusBits}`;
    let p = this.keys.get(cacheKey);
    if (!p) {
      p = this.askKey(study, params, minContributors, timeoutMs);
      this.keys.set(cacheKey, p);
      p.catch(() => this.keys.delete(cacheKey));
    }
    return p;
  }

  /** Asks for the key, sending the study as announced (the custodian derives its t from it). */
  private async askKey(study: AnnouncedStudy, params: HeParams, minContributors: number, timeoutMs: number): Promise<StudyHeKey> {
    const studyId = study.spec.studyId;
    const keyRequest = { studyId, params: heParamsToWire(params), minContributors, spec: studySpecToWire(study.spec), parties: [...study.parties] };
    const reply = await this.request([{ $case: 'keyRequest', value: keyRequest }], timeoutMs, (b) => b);
    if (reply.$case !== 'key') throw new FedsynthError(ErrorCode.ProtocolViolation, `custodian answered a key request with ${reply.$case}`);
    const got = heParamsFromWire(reply.value.params, 'key.params');
    if (got.polyModulusDegree !== params.polyModulusDegree || got.plainModulusBits !== params.plainModulusBits || reply.value.publicKey.byteLength === 0) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, 'custodian returned a key for other parameters');
    }
    this.log.info({ studyId, keyId: reply.value.keyId, minContributors: reply.value.minContributors }, 'obtained the study HE public key from the custodian');
    return {
      keyId: reply.value.keyId,
      publicKey: new Uint8Array(reply.value.publicKey),
      params: got,
      minContributors: reply.value.minContributors,
      signature: new Uint8Array(reply.value.signature),
      custodianCertificate: new Uint8Array(reply.value.custodianCertificate),
      specHash: reply.value.specHash,
    };
  }

  /**
   * Sends an aggregate for decryption as bounded chunks of one request (docs/protocol.md "Custodian
   * chunks") and reassembles the chunked reply; returns the exact sum. A refusal rethrows its code;
   * a reply that is not the digest-checked sum of this round is ProtocolViolation/VerificationFailed.
   */
  async decrypt(keyId: string, threshold: number, agg: HeAggregate, timeoutMs: number, chunking: DecryptChunking = {}): Promise<Float64Array> {
    const chunks = aggregateToWireChunks(keyId, threshold, agg, chunking.maxChunkBytes ?? this.maxChunkBytes, chunking.maxReplyChunkBytes ?? this.maxChunkBytes);
    const sum = new HeSumAssembler(agg.roundId, agg.vectorLength);
    return this.request(
      chunks.map((value) => ({ $case: 'decrypt' as const, value })),
      timeoutMs,
      (reply) => {
        if (reply.$case !== 'decrypted') throw new FedsynthError(ErrorCode.ProtocolViolation, `custodian answered a decrypt request with ${reply.$case}`);
        return sum.add(sumChunkFromWire(reply.value));
      },
    );
  }

  /**
   * Writes `bodies` under one request id (waiting for the stream to drain between chunks) and feeds
   * every answer to `collect` until it returns a value; a refusal rejects with its code.
   */
  private async request<T>(bodies: RequestBody[], timeoutMs: number, collect: (b: ReplyBody) => T | undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    await this.waitOnline(timeoutMs);
    const session = this.session!;
    const requestId = this.nextRequestId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(requestId);
        reject(new FedsynthError(ErrorCode.SourceUnavailable, `key custodian did not answer within ${timeoutMs} ms`));
      }, Math.max(1, deadline - Date.now()));
      const take = (b: ReplyBody): boolean => {
        try {
          if (b.$case === 'refusal') {
            const code = (Object.values(ErrorCode) as string[]).includes(b.value.code) ? (b.value.code as ErrorCode) : ErrorCode.Internal;
            throw new FedsynthError(code, `key custodian refused: ${b.value.message}`);
          }
          const done = collect(b);
          if (done === undefined) return false;
          resolve(done);
        } catch (e) {
          reject(e as Error);
        }
        return true;
      };
      this.waiters.set(requestId, { session, take, reject, timer });
      void this.writeAll(session, requestId, bodies);
    });
  }

  /** Writes the chunks in order, pausing while the stream's buffer is full; stops once the request is settled. */
  private async writeAll(session: Session, requestId: number, bodies: RequestBody[]): Promise<void> {
    for (const body of bodies) {
      if (session.closed || !this.waiters.has(requestId)) return;
      session.seq += 1;
      if (!session.call.write({ seq: session.seq, requestId, body })) await drained(session.call);
    }
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
      const peer = acceptStreamPeer(call, { isRevoked: this.isRevoked, roles: CUSTODIAN_ROLES, mayNot: 'connect as the key custodian', refusal: 'refused a custodian connection', log: this.log });
      if (!peer) return;
      const custodianId = peer.partyId;
      let session: Session | undefined;
      let lastSeq = 0;
      call.on('data', (msg: CustodianMessage) => {
        if (isMalformed(msg)) {
          this.log.warn({ custodianId, bytes: msg.bytes }, 'malformed custodian frame: stream closed');
          call.emit('error', toGrpcError(msg.toError()));
          return;
        }
        // Nothing below acts on a refused frame; the stream has no error message towards the custodian, so the warn line and the count are the record.
        const refuse = (field: string, code: ErrorCode, message: string, details: Record<string, unknown> = {}): void => {
          this.refusedFrames.refuse(field, code, message, { custodianId, requestId: msg.requestId, ...details });
        };
        if (msg.seq <= lastSeq) {
          refuse('seq', ErrorCode.OutOfStep, `replayed or out-of-order message (seq ${msg.seq} after ${lastSeq})`, { seq: msg.seq });
          return;
        }
        if (!msg.body) {
          refuse('body', ErrorCode.ProtocolViolation, 'message without a body (or of an unknown kind)');
          return;
        }
        lastSeq = msg.seq;
        if (!session) {
          if (msg.body.$case !== 'hello') {
            refuse('body', ErrorCode.ProtocolViolation, 'first message must be hello', { got: msg.body.$case });
            return;
          }
          if (this.session) this.drop(this.session, 'replaced by a new custodian connection');
          session = { custodianId, call, seq: 0, closed: false };
          this.session = session;
          session.seq += 1;
          call.write({ seq: session.seq, requestId: 0, body: { $case: 'welcome', value: { custodianId, coordinatorId: 'coordinator' } } });
          this.log.info({ custodianId }, 'key custodian online');
          return;
        }
        if (msg.body.$case === 'heartbeat') return; // liveness
        if (msg.body.$case === 'hello') {
          refuse('hello', ErrorCode.OutOfStep, 'second hello on one stream');
          return;
        }
        const w = this.waiters.get(msg.requestId);
        if (!w || w.session !== session) {
          refuse('request_id', ErrorCode.OutOfStep, `late or unexpected answer (${msg.body.$case}): no request ${msg.requestId} is waiting`);
          return;
        }
        if (!w.take(msg.body)) return;
        this.waiters.delete(msg.requestId);
        clearTimeout(w.timer);
      });
      const end = (why: string): void => {
        if (session) {
          this.log.info({ custodianId, why }, 'key custodian offline');
          this.drop(session, why);
        }
      };
      call.on('end', () => {
        end('stream ended');
        try {
          call.end(); // the custodian half-closed: close our side too (status OK)
        } catch {
          // already closed
        }
      });
      call.on('error', (e) => end(`stream error: ${e.message}`));
      call.on('cancelled', () => end('stream cancelled'));
    },
  };
}

/** Resolves when `stream` drains, closes or fails, or after a second (the caller re-checks and goes on). */
function drained(stream: grpc.ServerDuplexStream<CustodianMessage, CustodianRequest>): Promise<void> {
  return new Promise((resolve) => {
    const events = ['drain', 'close', 'error', 'finish'] as const;
    const done = (): void => {
      clearTimeout(timer);
      for (const e of events) stream.off(e, done);
      resolve();
    };
    const timer = setTimeout(done, 1000);
    for (const e of events) stream.on(e, done);
  });
}
