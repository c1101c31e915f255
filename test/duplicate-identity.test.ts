// Integration test (real Coordinator on 127.0.0.1, mTLS): two agents with one kit do not kick each
// other off; the live first connection stays and the second is refused DUPLICATE_IDENTITY, logged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { loadKit } from '../platform/pki/loadKit.js';
import type { Coordinator } from '../coordinator/Coordinator.js';
import { startLoneCoordinator } from './support/loneCoordinator.js';
import { RawAgentClient } from './support/RawAgentClient.js';
import { createServer } from 'node:net';
import type { FedsynthError } from '../shared/errors/FedsynthError.js';
import { AgentConnection } from '../party-agent/transport/AgentConnection.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-duplicate-'));
const lines: { msg?: string; partyId?: string; code?: string }[] = [];
const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as (typeof lines)[number]) });
const HEARTBEAT_MS = 300; // live window 2 x 300 + 1000 = 1.6 s
let coordinator: Coordinator;
let address = '';
let kitDir = '';

beforeAll(async () => {
  ({ coordinator, address, partyKitDir: kitDir } = await startLoneCoordinator(root, 'hospital-x', log, HEARTBEAT_MS));
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  rmSync(root, { recursive: true, force: true });
});

const isWelcome = (m: { body?: { $case: string } }) => m.body?.$case === 'welcome';

describe('one kit, two agents', () => {
  it('keeps the live first connection and refuses the second with DUPLICATE_IDENTITY (logged)', async () => {
    const first = new RawAgentClient(kitDir, address);
    const second = new RawAgentClient(kitDir, address);
    try {
      first.hello();
      await first.waitFor(isWelcome);
      const session = coordinator.gateway.session('hospital-x');
      second.hello();
      const refused = await second.waitFor((m) => m.body?.$case === 'error');
      expect(refused.body?.$case === 'error' && refused.body.value.code).toBe(ErrorCode.DuplicateIdentity);
      await second.waitClosed();
      expect(second.received.some(isWelcome)).toBe(false);
      // The first is untouched: same session, still answered.
      expect(coordinator.gateway.session('hospital-x')).toBe(session);
      first.send({ $case: 'heartbeat', value: { unixMs: Date.now() } });
      await first.waitFor((m) => m.body?.$case === 'heartbeat');
      expect(first.ended).toBe(false);
      expect(lines.filter((l) => l.msg === 'refused a duplicate agent connection' && l.partyId === 'hospital-x')).toHaveLength(1);
    } finally {
      first.close();
      second.close();
    }
  });

  it('replaces a stale connection of the same identity (a reconnecting agent is not locked out)', async () => {
    const stale = new RawAgentClient(kitDir, address);
    const next = new RawAgentClient(kitDir, address);
    try {
      stale.hello();
      await stale.waitFor(isWelcome);
      await new Promise((r) => setTimeout(r, 2 * HEARTBEAT_MS + 1000 + 300)); // silent past the live window
      next.hello();
      await next.waitFor(isWelcome);
      expect(coordinator.gateway.onlineParties()).toEqual(['hospital-x']);
    } finally {
      stale.close();
      next.close();
    }
  });

  it("gives up after repeated DUPLICATE_IDENTITY refusals: the second agent's connection is fatal, not retried forever", async () => {
    const first = new RawAgentClient(kitDir, address);
    const kit = loadKit(kitDir);
    let conn: AgentConnection | undefined;
    first.hello();
    await first.waitFor(isWelcome);
    const keepLive = setInterval(() => first.send({ $case: 'heartbeat', value: { unixMs: Date.now() } }), 100);
    try {
      const fatal = await new Promise<FedsynthError>((resolve) => {
        conn = new AgentConnection(
          { address, tls: { caPem: kit.tls.ca, certPem: kit.tls.cert, keyPem: kit.tls.key }, log, minBackoffMs: 20, maxBackoffMs: 50, permanentFailureLimit: 3 },
          { hello: () => ({ knownStudyIds: [], domainHash: '', softwareVersion: 'test' }), onMessage: () => undefined, onFatal: resolve },
        );
        conn.start();
      });
      expect(fatal.code).toBe(ErrorCode.DuplicateIdentity);
      expect(fatal.message).toMatch(/already connected.*stop one of them/);
      expect(lines.filter((l) => l.msg?.startsWith('giving up: '))).toHaveLength(1);
      expect(conn!.connected).toBe(false);
      expect(first.ended).toBe(false);
    } finally {
      clearInterval(keepLive);
      conn?.stop();
      first.close();
    }
  });

  it('keeps retrying a transient failure (nothing listening): no fatal', async () => {
    const probe = createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as { port: number }).port)));
    await new Promise((r) => probe.close(r));
    const kit = loadKit(kitDir);
    const before = lines.length;
    let fatal: FedsynthError | undefined;
    const conn = new AgentConnection(
      { address: `127.0.0.1:${port}`, tls: { caPem: kit.tls.ca, certPem: kit.tls.cert, keyPem: kit.tls.key }, log, minBackoffMs: 10, maxBackoffMs: 20, permanentFailureLimit: 2 },
      { hello: () => ({ knownStudyIds: [], domainHash: '', softwareVersion: 'test' }), onMessage: () => undefined, onFatal: (e) => (fatal = e) },
    );
    conn.start();
    try {
      const retries = () => lines.slice(before).filter((l) => l.msg === 'coordinator connection lost; reconnecting').length;
      while (retries() < 4 && !fatal) await new Promise((r) => setTimeout(r, 50));
      expect(fatal).toBeUndefined();
    } finally {
      conn.stop();
    }
  });
});
