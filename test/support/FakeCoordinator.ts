// FakeCoordinator: a scripted AgentGateway server with the coordinator's kit (mTLS on 127.0.0.1:0)
// that lets a test send a REAL agent process arbitrary coordinator messages and record its replies.
import * as grpc from '@grpc/grpc-js';
import { AgentGatewayService, type AgentMessage, type CoordinatorMessage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { loadKit } from '../../platform/pki/loadKit.js';
import { CONSORTIUM_PROTOCOL_VERSION } from '../../shared/study/protocolVersion.js';

type Body = NonNullable<CoordinatorMessage['body']>;

export class FakeCoordinator {
  readonly received: AgentMessage[] = [];
  private readonly server = new grpc.Server();
  private call: grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage> | undefined;
  private seq = 0;
  port = 0;

  /** `partyId`: the id the welcome tells the agent (a real coordinator reads it from the certificate). */
  constructor(
    private readonly kitDir: string,
    private readonly partyId: string,
    /** The protocol version its welcome announces (another one tests the agent's refusal). */
    private readonly protocolVersion = CONSORTIUM_PROTOCOL_VERSION,
  ) {
    this.server.addService(AgentGatewayService, {
      connect: (call: grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage>) => {
        this.call = call;
        this.seq = 0;
        call.on('data', (m: AgentMessage) => {
          this.received.push(m);
          if (m.body?.$case === 'hello') this.send({ $case: 'welcome', value: { partyId: this.partyId, coordinatorId: 'fake', heartbeatIntervalMs: 1000, protocolVersion: this.protocolVersion } });
        });
        call.on('error', () => undefined);
      },
    });
  }

  async start(): Promise<number> {
    const kit = loadKit(this.kitDir);
    const creds = grpc.ServerCredentials.createSsl(kit.tls.ca, [{ cert_chain: kit.tls.cert, private_key: kit.tls.key }], true);
    this.port = await new Promise<number>((resolve, reject) => this.server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
    return this.port;
  }

  send(body: Body): void {
    if (!this.call) throw new Error('no agent connected');
    this.seq += 1;
    this.call.write({ seq: this.seq, body });
  }

  /** Resolves with the first agent message matching `pred`. */
  async waitFor(pred: (m: AgentMessage) => boolean, timeoutMs = 60_000): Promise<AgentMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.received.find(pred);
      if (m) return m;
      if (Date.now() > deadline) throw new Error('timed out waiting for an agent message');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  get connected(): boolean {
    return this.call !== undefined;
  }

  stop(): void {
    this.call?.end();
    this.server.forceShutdown();
  }
}
