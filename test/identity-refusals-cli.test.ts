// Identity refusals end to end, with real processes (issue 20 item 4): a valid certificate of the
// wrong role is PERMISSION_DENIED on the wire and a clear `fedsynth: CODE:` exit at the CLI, and a
// second agent started with a party's kit gives up with DUPLICATE_IDENTITY while the first stays.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { issueKit } from '../platform/pki/issueKit.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { OperatorServiceClient } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { secureChannel } from '../platform/grpc/secureChannel.js';
import { ProcessConsortium, type ChildHandle } from './support/ProcessConsortium.js';
import { RawAgentClient } from './support/RawAgentClient.js';
import { runCli } from './support/runCli.js';

const c = new ProcessConsortium({ name: 'identity-cli', parties: ['hospital-a'], rows: 300 });
let first: ChildHandle;

beforeAll(async () => {
  await c.setup();
  await issueKit(c.ca, { role: 'custodian', id: 'custodian', coordinator: '127.0.0.1:7443', out: c.kitDir('custodian') });
  await c.startCoordinator();
  first = c.startAgent('hospital-a');
  await ProcessConsortium.until(() => c.onlineEvents('hospital-a') >= 1, 90_000, 'hospital-a online');
}, 150_000);

afterAll(() => c.stop());

/** The gRPC status, fedsynth code and details of listStudies with `kitDir`'s certificate. */
function listWith(kitDir: string): Promise<{ status: number; code: string | undefined; details: string }> {
  const kit = loadKit(kitDir);
  const { credentials, options } = secureChannel(c.address, { caPem: kit.tls.ca, keyPem: kit.tls.key, certPem: kit.tls.cert });
  const client = new OperatorServiceClient(c.address, credentials, options);
  return new Promise((resolve) =>
    client.listStudies({}, (e) => {
      client.close();
      resolve({ status: e ? e.code : grpc.status.OK, code: e?.metadata.get('fedsynth-code')[0]?.toString(), details: e?.details ?? '' });
    }),
  );
}

describe('a certificate of the wrong role', () => {
  it('party, custodian and coordinator kits on the operator API: PERMISSION_DENIED on the wire, exit 77 with the role and the kit to use at the CLI', async () => {
    for (const [kit, role] of [
      [c.kitDir('hospital-a'), 'party'],
      [c.kitDir('custodian'), 'custodian'],
      [c.kitDir('coordinator'), 'coordinator'],
    ] as const) {
      const wire = await listWith(kit);
      expect(wire, role).toMatchObject({ status: grpc.status.PERMISSION_DENIED, code: ErrorCode.PermissionDenied });
      expect(wire.details).toMatch(new RegExp(`role '${role}' may not operate studies`));
      for (const args of [['study', 'list'], ['study', 'status', 'any-study']]) {
        const r = await runCli([...args, '--kit', kit, '--coordinator', c.address]);
        expect(r.code, `${args.join(' ')} with the ${role} kit: ${r.stderr}`).toBe(77);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim()).toMatch(
          new RegExp(`^fedsynth: PERMISSION_DENIED: role '${role}' may not operate studies \\(allowed: operator\\); operators use their own operator kit as --kit \\(fedsynth pki issue --role operator --name YOU\\)$`),
        );
      }
    }
    // The coordinator logged each refusal (it does not fail silently).
    const refused = c.coordinator!.logLines().filter((l) => l.msg === 'operator request refused');
    expect(refused.length).toBeGreaterThanOrEqual(6);
    // The positive control: the operator kit is served.
    const ok = await runCli(['study', 'list', '--kit', c.kitDir('operator'), '--coordinator', c.address]);
    expect(ok.code, ok.stderr).toBe(0);
  }, 120_000);

  it('an operator certificate opening an agent stream: PERMISSION_DENIED on the wire; `agent start` refuses the kit (65) before dialling', async () => {
    const raw = new RawAgentClient(c.kitDir('operator'), c.address);
    try {
      raw.hello();
      await raw.waitClosed();
      expect(raw.received.some((m) => m.body?.$case === 'welcome')).toBe(false);
      expect(raw.error?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(raw.error?.metadata.get('fedsynth-code')[0]?.toString()).toBe(ErrorCode.PermissionDenied);
      expect(raw.error?.details).toMatch(/role 'operator' may not/);
    } finally {
      raw.close();
    }
    expect(c.onlineEvents('operator')).toBe(0);
    const cfg = { ...c.agentConfig('hospital-a', c.kitDir('operator')), party: { id: 'operator' }, state: { dir: join(c.dir, 'agents', 'operator-as-agent') } };
    const r = await runCli(['agent', 'start', '--config', c.writeConfig('operator-as-agent', cfg)]);
    expect(r.code).toBe(65);
    expect(r.stderr.trim()).toMatch(/^fedsynth: INVALID_CONFIG: .*operator: not a party kit \(role operator\)$/);
    expect(c.onlineEvents('operator')).toBe(0);
  }, 60_000);
});

describe('two agents with one kit', () => {
  it('the second gives up with DUPLICATE_IDENTITY (exit 77, one fatal line) while the first stays online', async () => {
    const onlineBefore = c.onlineEvents('hospital-a');
    const cfg = { ...c.agentConfig('hospital-a'), state: { dir: join(c.dir, 'agents', 'hospital-a-twin') } };
    const twin = c.startAgent('hospital-a', { config: c.writeConfig('hospital-a-twin', cfg), name: 'hospital-a-twin' });
    await ProcessConsortium.until(() => !twin.running, 90_000, 'the second agent to give up');
    expect(twin.exitCode).toBe(77);
    expect(twin.stderr()).toMatch(/fedsynth: DUPLICATE_IDENTITY: the coordinator refused this agent: .*another agent with this kit is connected: stop one of them/);
    const fatal = twin.logLines().filter((l) => l.level === 60);
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0]!.msg)).toMatch(/^giving up: /);
    // The coordinator refused each attempt and said so; the first agent was never kicked off.
    expect(c.coordinator!.logLines().filter((l) => l.msg === 'refused a duplicate agent connection' && l.partyId === 'hospital-a').length).toBeGreaterThanOrEqual(1);
    expect(first.running).toBe(true);
    expect(c.onlineEvents('hospital-a')).toBe(onlineBefore);
    expect(first.logLines().filter((l) => l.msg === 'coordinator connection lost; reconnecting')).toHaveLength(0);
  }, 120_000);
});
