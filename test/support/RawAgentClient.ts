// RawAgentClient: a bare AgentGateway stream with a startup kit's mTLS identity, for tests that send
// hand-crafted (malformed, out-of-step, impersonating) agent messages and record what comes back.
import * as grpc from '@grpc/grpc-js';
import { AgentGatewayClient, type AgentMessage, type CoordinatorMessage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { CONSORTIUM_PROTOCOL_VERSION } from '../../shared/study/protocolVersion.js';
import { loadKit } from '../../platform/pki/loadKit.js';
import { secureChannel } from '../../platform/grpc/secureChannel.js';

type Body = NonNullable<AgentMessage['body']>;

export class RawAgentClient {
  readonly received: CoordinatorMessage[] = [];
  error: grpc.ServiceError | undefined;
  ended = false;
  private readonly client: AgentGatewayClient;
  private readonly stream: grpc.ClientDuplexStream<AgentMessage, CoordinatorMessage>;
  private seq = 0;

  /** `identity`: a startup kit directory, or explicit PEMs (to mix a trusted CA with a foreign certificate). */
  constructor(identity: string | { ca: Buffer; cert: Buffer; key: Buffer }, address: string) {
    const tls = typeof identity === 'string' ? loadKit(identity).tls : identity;
    const { credentials, options } = secureChannel(address, { caPem: tls.ca, keyPem: tls.key, certPem: tls.cert });
    this.client = new AgentGatewayClient(address, credentials, options);
    this.stream = this.client.connect();
    this.stream.on('data', (m: CoordinatorMessage) => this.received.push(m));
    this.stream.on('error', (e: grpc.ServiceError) => (this.error = e));
    this.stream.on('end', () => (this.ended = true));
  }

  /** Sends a body with the next sequence number (or an explicit one, to test replays). */
  send(body: Body | undefined, seq?: number): void {
    this.seq = seq ?? this.seq + 1;
    this.stream.write({ seq: this.seq, body });
  }

  hello(domainHash = '', protocolVersion = CONSORTIUM_PROTOCOL_VERSION): void {
    this.send({ $case: 'hello', value: { protocolVersion, softwareVersion: 'test', domainHash, knownStudyIds: [] } });
  }

  /** Resolves with the first received message matching `pred` (rejects after `timeoutMs`). */
  async waitFor(pred: (m: CoordinatorMessage) => boolean, timeoutMs = 20_000): Promise<CoordinatorMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.received.find(pred);
      if (m) return m;
      if (this.error) throw new Error(`stream failed: ${this.error.code} ${this.error.details}`);
      if (Date.now() > deadline) throw new Error('timed out waiting for a coordinator message');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Resolves when the stream has failed or ended (rejects after `timeoutMs`). */
  async waitClosed(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.error && !this.ended) {
      if (Date.now() > deadline) throw new Error('stream still open');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    try {
      this.stream.end();
    } catch {
      // already closed
    }
    this.client.close();
  }
}
