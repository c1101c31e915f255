// Integration test (real Coordinator and a scripted one on 127.0.0.1, mTLS): peers of another consortium
// protocol version are refused at hello / welcome with PROTOCOL_VERSION_MISMATCH, and the agent gives up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, type FedsynthError } from '../shared/errors/FedsynthError.js';
import { CONSORTIUM_PROTOCOL_VERSION } from '../shared/study/protocolVersion.js';
import { loadKit } from '../platform/pki/loadKit.js';
import type { Coordinator } from '../coordinator/Coordinator.js';
import { startLoneCoordinator } from './support/loneCoordinator.js';
import { AgentConnection } from '../party-agent/transport/AgentConnection.js';
import { RawAgentClient } from './support/RawAgentClient.js';
import { FakeCoordinator } from './support/FakeCoordinator.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-protocol-version-'));
const lines: { msg?: string; partyId?: string; code?: string }[] = [];
const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) });
let coordinator: Coordinator;
let address = '';
let kitDir = '';
let coordinatorKitDir = '';

beforeAll(async () => {
  ({ coordinator, address, partyKitDir: kitDir, coordinatorKitDir } = await startLoneCoordinator(root, 'hospital-x', log));
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  rmSync(root, { recursive: true, force: true });
});

const isWelcome = (m: { body?: { $case: string } }) => m.body?.$case === 'welcome';

describe('consortium protocol version', () => {
  it('the coordinator welcomes its own version and says which it speaks', async () => {
    const agent = new RawAgentClient(kitDir, address);
    try {
      agent.hello();
      const welcome = await agent.waitFor(isWelcome);
      expect(welcome.body?.$case === 'welcome' && welcome.body.value.protocolVersion).toBe(CONSORTIUM_PROTOCOL_VERSION);
    } finally {
      agent.close();
    }
  });

  it.each([CONSORTIUM_PROTOCOL_VERSION - 1, CONSORTIUM_PROTOCOL_VERSION + 1])('the coordinator refuses an agent of version %i before any session (typed, logged)', async (v) => {
    const agent = new RawAgentClient(kitDir, address);
    try {
      agent.hello('', v);
      const refused = await agent.waitFor((m) => m.body?.$case === 'error');
      expect(refused.body?.$case === 'error' && refused.body.value.code).toBe(ErrorCode.ProtocolVersionMismatch);
      expect(refused.body?.$case === 'error' && refused.body.value.message).toMatch(new RegExp(`version ${v}.*speaks ${CONSORTIUM_PROTOCOL_VERSION}: upgrade`));
      await agent.waitClosed();
      expect(agent.received.some(isWelcome)).toBe(false);
      expect(coordinator.gateway.onlineParties()).toEqual([]);
      expect(lines.some((l) => l.msg === 'refused an agent of another protocol version' && l.partyId === 'hospital-x')).toBe(true);
    } finally {
      agent.close();
    }
  });

  it('an agent refuses a coordinator of another version and gives up (fatal, not retried forever)', async () => {
    const fake = new FakeCoordinator(coordinatorKitDir, 'hospital-x', CONSORTIUM_PROTOCOL_VERSION - 1);
    const port = await fake.start();
    const kit = loadKit(kitDir);
    let conn: AgentConnection | undefined;
    try {
      const fatal = await new Promise<FedsynthError>((resolve) => {
        conn = new AgentConnection(
          { address: `127.0.0.1:${port}`, tls: { caPem: kit.tls.ca, certPem: kit.tls.cert, keyPem: kit.tls.key }, log, minBackoffMs: 20, maxBackoffMs: 50, permanentFailureLimit: 2 },
          { hello: () => ({ knownStudyIds: [], domainHash: '', softwareVersion: 'test' }), onMessage: () => undefined, onFatal: resolve },
        );
        conn.start();
      });
      expect(fatal.code).toBe(ErrorCode.ProtocolVersionMismatch);
      expect(fatal.message).toMatch(new RegExp(`coordinator speaks consortium protocol version ${CONSORTIUM_PROTOCOL_VERSION - 1}`));
      expect(conn!.connected).toBe(false);
      // Its hello announced this build's version.
      const hello = fake.received.find((m) => m.body?.$case === 'hello');
      expect(hello?.body?.$case === 'hello' && hello.body.value.protocolVersion).toBe(CONSORTIUM_PROTOCOL_VERSION);
    } finally {
      conn?.stop();
      fake.stop();
    }
  });
});
