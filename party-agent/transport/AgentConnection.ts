// AgentConnection: the agent's single outbound mTLS connection to the coordinator — it dials out
// (the silo opens no inbound port), says hello, heartbeats, and reconnects with backoff.
import { CONSORTIUM_PROTOCOL_VERSION, protocolVersionMismatch } from '../../shared/study/protocolVersion.js';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { AgentGatewayService, type AgentGatewayClient, type AgentMessage, type CoordinatorMessage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { isMalformed, tolerantService } from '../../platform/grpc/tolerantDecoding.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { FrameRefusals } from '../../platform/grpc/FrameRefusals.js';
import { identityRefusal, permanentRefusal } from './permanentRefusal.js';
import { secureChannel } from '../../platform/grpc/secureChannel.js';

type AgentGatewayClientConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: Partial<grpc.ChannelOptions>) => AgentGatewayClient;

/** The AgentGateway client with tolerant decoders: a malformed coordinator frame is answered, not fatal. */
const TolerantAgentGatewayClient = grpc.makeGenericClientConstructor(tolerantService(AgentGatewayService), 'fedsynth.consortium.v1.AgentGateway') as unknown as AgentGatewayClientConstructor;

/** The same client, reporting the encoded size of every message it sends (what goes into gRPC framing and TLS). */
function countingClient(onSent: (bytes: number) => void): AgentGatewayClientConstructor {
  const service = tolerantService(AgentGatewayService);
  const connect = service.connect;
  const counted = {
    ...service,
    connect: {
      ...connect,
      requestSerialize: (m: AgentMessage): Buffer => {
        const bytes = connect.requestSerialize(m);
        onSent(bytes.length);
        return bytes;
      },
    },
  };
  return grpc.makeGenericClientConstructor(counted, 'fedsynth.consortium.v1.AgentGateway') as unknown as AgentGatewayClientConstructor;
}

type AgentBody = NonNullable<AgentMessage['body']>;

export interface AgentTls {
  caPem: Buffer;
  certPem: Buffer;
  keyPem: Buffer;
  /** Name expected in the coordinator's certificate when it differs from the dialled host. */
  serverName?: string;
}

export interface ConnectionHandlers {
  /** Builds the hello (known studies etc.) for each (re)connection. */
  hello(): { knownStudyIds: string[]; domainHash: string; softwareVersion: string };
  /** Handles one coordinator message; replies go through `send`. */
  onMessage(msg: CoordinatorMessage, send: (body: AgentBody) => void): void;
  onConnected?(partyId: string): void;
  onDisconnected?(why: string): void;
  /**
   * The coordinator refused this agent's identity `permanentFailureLimit` times in a row (see
   * permanentRefusal): the connection has stopped for good; the agent should exit.
   */
  onFatal?(err: FedsynthError): void;
}

export interface ConnectionOptions {
  address: string;
  tls: AgentTls;
  log: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Consecutive permanent refusals (no welcome between them) before giving up (default 5: with the
   * backoff, ~6 s, longer than the coordinator's live window for a duplicate of a stale connection).
   */
  permanentFailureLimit?: number;
  /** Where refused well-formed frames are logged and counted (default: a record of this connection's own). */
  refusedFrames?: FrameRefusals;
  /** Told the protobuf size of every message sent (the agent's metrics), when given. */
  onSent?: (bytes: number) => void;
}

export class AgentConnection {
  /** Well-formed coordinator frames refused on this connection (a second welcome, ...). */
  readonly refusedFrames: FrameRefusals;
  private client: AgentGatewayClient;
  private stream: grpc.ClientDuplexStream<AgentMessage, CoordinatorMessage> | undefined;
  private seq = 0;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private refusals = 0;

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly handlers: ConnectionHandlers,
  ) {
    this.refusedFrames = opts.refusedFrames ?? new FrameRefusals(opts.log, 'coordinator');
    // The coordinator's certificate must carry serverName, else the dialled host (name or IP: secureChannel).
    const { credentials: creds, options: tlsOptions } = secureChannel(opts.address, opts.tls);
    const channelOptions: grpc.ChannelOptions = {
      ...tlsOptions,
      // Tolerate a coordinator that is busy for a while (e.g. fitting a large model).
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 120_000,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      'grpc.max_send_message_length': 256 * 1024 * 1024,
    };
    const Client = opts.onSent ? countingClient(opts.onSent) : TolerantAgentGatewayClient;
    this.client = new Client(opts.address, creds, channelOptions);
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  send(body: AgentBody): void {
    if (!this.stream) throw new Error('not connected');
    this.seq += 1;
    this.stream.write({ seq: this.seq, body });
  }

  get connected(): boolean {
    return this.stream !== undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.stream?.end();
    this.stream = undefined;
    this.client.close();
  }

  private open(): void {
    const { log } = this.opts;
    const stream = this.client.connect();
    this.stream = stream;
    this.seq = 0;
    let welcomed = false;
    /** The coordinator's typed refusal of this identity on this stream, if any. */
    let refusal: FedsynthError | undefined;
    stream.on('data', (msg: CoordinatorMessage) => {
      // After stop() the stream is only half-closed: frames still arriving are not handled (the
      // agent's store may already be closed).
      if (this.stopped || this.stream !== stream) return;
      if (isMalformed(msg)) {
        // Nothing of it is acted on; the coordinator hears why (typed), the stream stays.
        log.warn({ bytes: msg.bytes }, 'malformed coordinator frame refused');
        const e = msg.toError();
        try {
          if (this.stream === stream) this.send({ $case: 'error', value: { code: e.code, message: e.message, studyId: '', roundId: '', field: 'frame' } });
        } catch {
          // the close handler reconnects
        }
        return;
      }
      if (!welcomed && msg.body?.$case === 'error') refusal = identityRefusal(msg.body.value.code, msg.body.value.message) ?? refusal;
      if (msg.body?.$case === 'welcome' && welcomed) {
        const e = this.refusedFrames.refuse('welcome', ErrorCode.OutOfStep, 'second welcome on one stream');
        try {
          if (this.stream === stream) this.send({ $case: 'error', value: { code: e.code, message: e.message, studyId: '', roundId: '', field: 'welcome' } });
        } catch {
          // the close handler reconnects
        }
        return;
      }
      if (msg.body?.$case === 'welcome') {
        const versionMismatch = protocolVersionMismatch(msg.body.value.protocolVersion, 'coordinator');
        if (versionMismatch) {
          // Not welcomed: the stream ends and, after the permanent-failure limit, the agent gives up.
          refusal = new FedsynthError(ErrorCode.ProtocolVersionMismatch, `refused the coordinator: ${versionMismatch}`);
          log.error({ code: refusal.code, coordinatorVersion: msg.body.value.protocolVersion }, refusal.message);
          stream.cancel();
          return;
        }
        welcomed = true;
        this.attempt = 0;
        this.refusals = 0;
        const interval = Math.max(200, msg.body.value.heartbeatIntervalMs || 2000);
        if (this.heartbeat) clearInterval(this.heartbeat);
        this.heartbeat = setInterval(() => {
          try {
            if (this.stream === stream) this.send({ $case: 'heartbeat', value: { unixMs: Date.now() } });
          } catch {
            // the close handler reconnects
          }
        }, interval);
        this.heartbeat.unref();
        log.info({ partyId: msg.body.value.partyId }, 'connected to coordinator');
        this.handlers.onConnected?.(msg.body.value.partyId);
        return;
      }
      if (msg.body?.$case === 'heartbeat') return;
      try {
        this.handlers.onMessage(msg, (body) => {
          if (this.stream !== stream) throw new Error('connection replaced');
          this.send(body);
        });
      } catch (e) {
        log.error({ err: (e as Error).message }, 'error handling coordinator message');
      }
    });
    const onGone = (why: string, permanent?: FedsynthError) => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      if (this.heartbeat) clearInterval(this.heartbeat);
      this.handlers.onDisconnected?.(why);
      if (this.stopped) return;
      const fatal = welcomed ? undefined : (refusal ?? permanent);
      this.refusals = fatal ? this.refusals + 1 : 0;
      if (fatal && this.refusals >= (this.opts.permanentFailureLimit ?? 5)) {
        log.fatal({ code: fatal.code, why, attempts: this.refusals }, `giving up: ${fatal.message}`);
        this.stop();
        this.handlers.onFatal?.(fatal);
        return;
      }
      this.attempt += 1;
      const min = this.opts.minBackoffMs ?? 200;
      const max = this.opts.maxBackoffMs ?? 10_000;
      const delay = Math.min(max, min * 2 ** Math.min(this.attempt, 10));
      log.warn({ why, retryInMs: delay, welcomed }, 'coordinator connection lost; reconnecting');
      this.reconnectTimer = setTimeout(() => this.open(), delay);
    };
    stream.on('error', (e: grpc.ServiceError) => onGone(`${e.code ?? ''} ${e.details ?? e.message}`, permanentRefusal(e)));
    stream.on('end', () => onGone('stream ended'));
    const h = this.handlers.hello();
    this.send({ $case: 'hello', value: { protocolVersion: CONSORTIUM_PROTOCOL_VERSION, softwareVersion: h.softwareVersion, domainHash: h.domainHash, knownStudyIds: h.knownStudyIds } });
  }
}
