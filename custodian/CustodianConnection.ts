// CustodianConnection: the key custodian's single outbound mTLS stream to the coordinator's
// CustodianGateway — it dials out, says hello, answers key and chunked decrypt requests, reconnects.
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError, isFedsynthError } from '../shared/errors/FedsynthError.js';
import { VERSION } from '../shared/version.js';
import { DEFAULT_MAX_CHUNK_BYTES } from '../shared/he/HeChunk.js';
import { signHeKey } from '../shared/he/heKeyEndorsement.js';
import { decryptRequestChunkFromWire, heParamsFromWire, heParamsToWire, sumToWire, sumToWireChunks } from '../platform/wire/heWire.js';
import { CustodianGatewayService, type CustodianGatewayClient, type CustodianMessage, type CustodianRequest, type HeDecryptRequest } from '../proto/generated/fedsynth/custodian/v1/custodian.js';
import { isMalformed, tolerantService } from '../platform/grpc/tolerantDecoding.js';
import { FrameRefusals } from '../platform/grpc/FrameRefusals.js';
import { HeDecryptAssembler, type AssembledDecrypt } from './HeDecryptAssembler.js';
import { studySpecFromWire } from '../platform/wire/studySpecWire.js';
import type { StudySpec as WireStudySpec } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { KeyCustodian } from './KeyCustodian.js';
import { secureChannel } from '../platform/grpc/secureChannel.js';

type Body = NonNullable<CustodianMessage['body']>;
type Stream = grpc.ClientDuplexStream<CustodianMessage, CustodianRequest>;

/** The CustodianGateway client with tolerant decoders: a malformed coordinator frame is refused, not fatal. */
const TolerantCustodianGatewayClient = grpc.makeGenericClientConstructor(tolerantService(CustodianGatewayService), 'fedsynth.custodian.v1.CustodianGateway') as unknown as new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: Partial<grpc.ChannelOptions>,
) => CustodianGatewayClient;

/** The announced spec of a key request as the domain type; a spec that does not convert is refused naming its field. */
function announcedSpecFromWire(w: WireStudySpec): ReturnType<typeof studySpecFromWire> {
  try {
    return studySpecFromWire(w);
  } catch (e) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `key_request.spec: ${(e as Error).message}`, { field: 'key_request.spec' });
  }
}

/** Decrypt requests being reassembled at once on one stream; a further one is refused. */
const MAX_PENDING_DECRYPTS = 4;
/** Refused request ids remembered per stream (their later chunks are dropped, each counted in refusedFrames). */
const MAX_REFUSED_IDS = 1024;

/** Chunked decrypt requests of one stream: in reassembly, and refused ones whose chunks are ignored. */
interface DecryptRequests {
  pending: Map<number, HeDecryptAssembler>;
  refused: Set<number>;
}

export interface CustodianConnectionOptions {
  address: string;
  tls: { caPem: Buffer; certPem: Buffer; keyPem: Buffer; serverName?: string };
  log: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Chunk budget (default 4 MiB - 64 KiB): a decrypt-request chunk above it is refused unless it
   * is a single ciphertext, and reply chunks stay within it (or the coordinator's smaller budget).
   */
  maxChunkBytes?: number;
  /**
   * The custodian's identity for endorsing its public keys: the Ed25519 secret key bound in its
   * certificate (libsodium form, 64 bytes) and that certificate (DER). Parties refuse a key
   * without this endorsement (HE_KEY_UNAUTHENTICATED).
   */
  endorser: { signingSecretKey: Uint8Array; certificate: Uint8Array };
}

/** The endorser of a custodian kit: its libsodium signing key and its certificate as DER. */
export function custodianEndorser(kit: { sodiumSigningSecretKey: Uint8Array; certPem: string }): CustodianConnectionOptions['endorser'] {
  return { signingSecretKey: kit.sodiumSigningSecretKey, certificate: new Uint8Array(new X509Certificate(kit.certPem).raw) };
}

export class CustodianConnection {
  private readonly client: CustodianGatewayClient;
  private stream: grpc.ClientDuplexStream<CustodianMessage, CustodianRequest> | undefined;
  private seq = 0;
  private stopped = true;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private welcomed = false;
  private readonly maxChunkBytes: number;
  /** Well-formed coordinator frames refused (no body, a second welcome, chunks of a refused request): logged naming the field, counted. */
  readonly refusedFrames: FrameRefusals;

  constructor(
    private readonly o: CustodianConnectionOptions,
    private readonly custodian: KeyCustodian,
  ) {
    this.maxChunkBytes = o.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
    this.refusedFrames = new FrameRefusals(o.log, 'coordinator');
    // Every message is a bounded chunk: a budget plus room for the header (contributor names).
    const messageLimit = Math.max(4 * 1024 * 1024, this.maxChunkBytes + 1024 * 1024);
    const { credentials, options: tlsOptions } = secureChannel(o.address, o.tls);
    const options: grpc.ChannelOptions = {
      ...tlsOptions,
      'grpc.keepalive_time_ms': 10_000,
      'grpc.max_receive_message_length': messageLimit,
      'grpc.max_send_message_length': messageLimit,
    };
    this.client = new TolerantCustodianGatewayClient(o.address, credentials, options);
  }

  /** True once the coordinator has welcomed this connection. */
  get connected(): boolean {
    return this.stream !== undefined && this.welcomed;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.stream?.end();
    this.stream = undefined;
    this.client.close();
  }

  private send(stream: Stream, requestId: number, body: Body): void {
    if (this.stream !== stream) return; // connection replaced: the coordinator will ask again
    this.seq += 1;
    stream.write({ seq: this.seq, requestId, body });
  }

  private open(): void {
    const { log } = this.o;
    const stream = this.client.connect();
    this.stream = stream;
    this.seq = 0;
    this.welcomed = false;
    const decrypts: DecryptRequests = { pending: new Map(), refused: new Set() };
    stream.on('data', (msg: CustodianRequest) => {
      if (isMalformed(msg)) {
        // Nothing of it is acted on; the coordinator gets a typed refusal (request id unknown: 0).
        this.send(stream, 0, this.refusal(0, msg.toError()));
        return;
      }
      const body = msg.body;
      if (!body) {
        this.send(stream, msg.requestId, this.refusal(msg.requestId, this.refusedFrames.refuse('body', ErrorCode.ProtocolViolation, 'request without a body (or of an unknown kind)', { requestId: msg.requestId })));
        return;
      }
      if (body.$case === 'welcome' && this.welcomed) {
        this.send(stream, msg.requestId, this.refusal(msg.requestId, this.refusedFrames.refuse('welcome', ErrorCode.OutOfStep, 'second welcome on one stream', { requestId: msg.requestId })));
        return;
      }
      if (body.$case === 'welcome') {
        this.welcomed = true;
        this.attempt = 0;
        log.info({ custodianId: body.value.custodianId }, 'custodian connected to coordinator');
        return;
      }
      if (body.$case === 'heartbeat') {
        this.send(stream, msg.requestId, { $case: 'heartbeat', value: { unixMs: Date.now() } });
        return;
      }
      if (body.$case === 'decrypt') {
        this.onDecryptChunk(stream, decrypts, msg.requestId, body.value);
        return;
      }
      void this.answer(msg.requestId, body).then((reply) => this.send(stream, msg.requestId, reply));
    });
    const gone = (why: string): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.welcomed = false;
      if (this.stopped) return;
      this.attempt += 1;
      const delay = Math.min(this.o.maxBackoffMs ?? 10_000, (this.o.minBackoffMs ?? 200) * 2 ** Math.min(this.attempt, 10));
      log.warn({ why, retryInMs: delay }, 'coordinator connection lost; reconnecting');
      this.timer = setTimeout(() => this.open(), delay);
    };
    stream.on('error', (e: grpc.ServiceError) => gone(`${e.code ?? ''} ${e.details ?? e.message}`));
    stream.on('end', () => gone('stream ended'));
    this.send(stream, 0, { $case: 'hello', value: { protocolVersion: 1, softwareVersion: VERSION } });
  }

  /**
   * One chunk of a decrypt request (all chunks share the request id, in order). The last chunk,
   * once the digest matches, starts the decryption; any fault refuses the whole request once and
   * drops its later chunks.
   */
  private onDecryptChunk(stream: Stream, decrypts: DecryptRequests, requestId: number, chunk: HeDecryptRequest): void {
    if (decrypts.refused.has(requestId)) {
      // The request was refused (once, with its reason); its later chunks are dropped, each counted and logged.
      this.refusedFrames.refuse('decrypt.request_id', ErrorCode.ProtocolViolation, `chunk ${chunk.chunkIndex} of decrypt request ${requestId}, already refused`, { requestId });
      return;
    }
    let assembler = decrypts.pending.get(requestId);
    try {
      if (!assembler) {
        if (decrypts.pending.size >= MAX_PENDING_DECRYPTS) {
          throw new FedsynthError(ErrorCode.ProtocolViolation, `more than ${MAX_PENDING_DECRYPTS} decrypt requests in reassembly at once`);
        }
        assembler = new HeDecryptAssembler(this.maxChunkBytes, (keyId, m) => this.custodian.ciphertextsFor(keyId, m));
        decrypts.pending.set(requestId, assembler);
      }
      const request = assembler.add(decryptRequestChunkFromWire(chunk));
      if (!request) return;
      decrypts.pending.delete(requestId);
      void this.decrypt(requestId, request).then((replies) => {
        for (const reply of replies) this.send(stream, requestId, reply);
      });
    } catch (e) {
      decrypts.pending.delete(requestId);
      if (decrypts.refused.size >= MAX_REFUSED_IDS) decrypts.refused.clear();
      decrypts.refused.add(requestId);
      this.send(stream, requestId, this.refusal(requestId, e));
    }
  }

  /** Decrypts a reassembled request; the sum goes back in chunks within the smaller budget. */
  private async decrypt(requestId: number, r: AssembledDecrypt): Promise<Body[]> {
    try {
      const sum = await this.custodian.decrypt({ keyId: r.keyId, threshold: r.threshold, aggregate: r.aggregate });
      const budget = r.maxReplyChunkBytes > 0 ? Math.min(r.maxReplyChunkBytes, this.maxChunkBytes) : this.maxChunkBytes;
      return sumToWireChunks(r.aggregate.roundId, sumToWire(sum), budget).map((value) => ({ $case: 'decrypted' as const, value }));
    } catch (e) {
      return [this.refusal(requestId, e)];
    }
  }

  /** One request's answer; every failure becomes a refusal with a stable code (no internals). */
  private async answer(requestId: number, body: NonNullable<CustodianRequest['body']>): Promise<Body> {
    try {
      if (body.$case === 'keyRequest') {
        const r = body.value;
        const study = r.spec ? { spec: announcedSpecFromWire(r.spec), parties: r.parties } : undefined;
        const key = await this.custodian.publicKey({ studyId: r.studyId, params: heParamsFromWire(r.params, 'key_request.params'), minContributors: r.minContributors, study });
        const signature = await signHeKey({ studyId: r.studyId, ...key }, this.o.endorser.signingSecretKey);
        return {
          $case: 'key',
          value: {
            keyId: key.keyId,
            publicKey: Buffer.from(key.publicKey),
            params: heParamsToWire(key.params),
            minContributors: key.minContributors,
            signature: Buffer.from(signature),
            custodianCertificate: Buffer.from(this.o.endorser.certificate),
            specHash: key.specHash,
          },
        };
      }
      return { $case: 'refusal', value: { code: ErrorCode.ProtocolViolation, message: `unexpected request ${body.$case}` } };
    } catch (e) {
      return this.refusal(requestId, e);
    }
  }

  /** A failure as a refusal with a stable code; only FedsynthError messages leave the process. */
  private refusal(requestId: number, e: unknown): Body {
    const code = isFedsynthError(e) ? e.code : ErrorCode.Internal;
    const message = isFedsynthError(e) ? e.message : 'internal error';
    this.o.log.warn({ requestId, code, err: isFedsynthError(e) ? e.message : String(e) }, `custodian refused a request: ${message}`);
    return { $case: 'refusal', value: { code, message } };
  }
}
