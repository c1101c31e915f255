// CustodianConnection: the key custodian's single outbound mTLS stream to the coordinator's
// CustodianGateway — it dials out, says hello, answers key and decrypt requests, reconnects.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ErrorCode, isFedsynthError } from '../shared/errors/FedsynthError.js';
import { VERSION } from '../shared/version.js';
import { aggregateFromWire, heParamsFromWire, heParamsToWire, sumToWire } from '../shared/wire/heWire.js';
import { CustodianGatewayClient, type CustodianMessage, type CustodianRequest } from '../proto/generated/fedsynth/custodian/v1/custodian.js';
import type { KeyCustodian } from './KeyCustodian.js';

type Body = NonNullable<CustodianMessage['body']>;

export interface CustodianConnectionOptions {
  address: string;
  tls: { caPem: Buffer; certPem: Buffer; keyPem: Buffer; serverName?: string };
  log: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

export class CustodianConnection {
  private readonly client: CustodianGatewayClient;
  private stream: grpc.ClientDuplexStream<CustodianMessage, CustodianRequest> | undefined;
  private seq = 0;
  private stopped = true;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private welcomed = false;

  constructor(
    private readonly o: CustodianConnectionOptions,
    private readonly custodian: KeyCustodian,
  ) {
    const options: grpc.ChannelOptions = {
      'grpc.keepalive_time_ms': 10_000,
      'grpc.max_receive_message_length': 256 * 1024 * 1024,
      'grpc.max_send_message_length': 256 * 1024 * 1024,
    };
    if (o.tls.serverName) options['grpc.ssl_target_name_override'] = o.tls.serverName;
    this.client = new CustodianGatewayClient(o.address, grpc.credentials.createSsl(o.tls.caPem, o.tls.keyPem, o.tls.certPem), options);
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

  private send(stream: grpc.ClientDuplexStream<CustodianMessage, CustodianRequest>, requestId: number, body: Body): void {
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
    stream.on('data', (msg: CustodianRequest) => {
      const body = msg.body;
      if (!body) return;
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

  /** One request's answer; every failure becomes a refusal with a stable code (no internals). */
  private async answer(requestId: number, body: NonNullable<CustodianRequest['body']>): Promise<Body> {
    try {
      if (body.$case === 'keyRequest') {
        const r = body.value;
        const key = await this.custodian.publicKey({ studyId: r.studyId, params: heParamsFromWire(r.params, 'key_request.params'), minContributors: r.minContributors });
        return { $case: 'key', value: { keyId: key.keyId, publicKey: Buffer.from(key.publicKey), params: heParamsToWire(key.params), minContributors: key.minContributors } };
      }
      if (body.$case === 'decrypt') {
        const { keyId, threshold, aggregate } = aggregateFromWire(body.value);
        const sum = await this.custodian.decrypt({ keyId, threshold, aggregate });
        return { $case: 'decrypted', value: { roundId: aggregate.roundId, sum: sumToWire(sum) } };
      }
      return { $case: 'refusal', value: { code: ErrorCode.ProtocolViolation, message: `unexpected request ${body.$case}` } };
    } catch (e) {
      const code = isFedsynthError(e) ? e.code : ErrorCode.Internal;
      const message = isFedsynthError(e) ? e.message : 'internal error';
      this.o.log.warn({ requestId, code, err: isFedsynthError(e) ? e.message : String(e) }, `custodian refused a request: ${message}`);
      return { $case: 'refusal', value: { code, message } };
    }
  }
}
