// Integration test of identity on the wire: a coordinator process refuses agents with a certificate
// from another CA or a revoked one (CRL in its kit), and a party's identity is its certificate's, never a claim.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initCa } from '../platform/pki/CertificateAuthority.js';
import { issueKit } from '../platform/pki/issueKit.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { ProcessConsortium, type ChildHandle } from './support/ProcessConsortium.js';
import { RawAgentClient } from './support/RawAgentClient.js';
import { runCli, runCliJson } from './support/runCli.js';

const c = new ProcessConsortium({ name: 'mtls', rows: 300 });
let honest: ChildHandle;

/** The agent's "connection lost; reconnecting" log lines (their `why`). */
function reconnectReasons(h: ChildHandle): string[] {
  return h.logLines().filter((l) => l.msg === 'coordinator connection lost; reconnecting').map((l) => String(l.why));
}

/** Waits for an agent that the coordinator refused for good to end by itself (issue 20 item 4). */
async function exitsRefused(h: ChildHandle, code: RegExp): Promise<void> {
  await ProcessConsortium.until(() => !h.running, 60_000, `${h.name} to give up and exit`);
  expect(h.exitCode).toBe(77);
  expect(h.stderr()).toMatch(code);
  const fatal = h.logLines().filter((l) => l.level === 60);
  expect(fatal).toHaveLength(1);
  expect(String(fatal[0]!.msg)).toMatch(/^giving up: /);
}

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  // Positive control: an honest agent does come online (so "never online" below means refused).
  honest = c.startAgent('hospital-a');
  await ProcessConsortium.until(() => c.onlineEvents('hospital-a') >= 1, 90_000, 'hospital-a online');
}, 150_000);

afterAll(() => c.stop());

describe('mTLS identity', () => {
  it('an agent dialling the coordinator by IP checks that IP in its certificate and sends no IP as TLS ServerName (no DEP0123)', () => {
    // The kit's coordinator address is 127.0.0.1:port (platform/grpc/secureChannel; bin/fedsynth.js hides no warning).
    expect(c.address).toMatch(/^127\.0\.0\.1:/);
    expect(honest.stderr()).not.toMatch(/DEP0123|ServerName to an IP address/);
  });

  it('refuses an agent whose kit comes from another CA (even under a member party id)', async () => {
    const otherCa = await initCa(join(c.dir, 'other-ca'), { consortium: 'it' });
    const foreignKit = join(c.dir, 'other-kits', 'hospital-c');
    await issueKit(otherCa, { role: 'party', id: 'hospital-c', coordinator: c.address, out: foreignKit });
    const cfg = { ...c.agentConfig('hospital-c', foreignKit), state: { dir: join(c.dir, 'agents', 'foreign-c') } };
    const foreign = c.startAgent('hospital-c', { config: c.writeConfig('foreign-c', cfg), name: 'foreign-c' });
    await ProcessConsortium.until(() => reconnectReasons(foreign).length >= 2, 90_000, 'the foreign agent to fail twice');
    // Retrying cannot cure a kit of another CA: the agent says so and exits (77), it does not retry forever.
    await exitsRefused(foreign, /fedsynth: UNAUTHENTICATED: the TLS handshake with the coordinator failed verifying its certificate .*use the kit issued by the consortium's CA/);
    await foreign.stop();
    const why = reconnectReasons(foreign);
    // Both attempts failed in the TLS handshake (no stream was ever established).
    for (const w of why) expect(w).toMatch(/UNAVAILABLE|certificate|handshake|SSL|TLS/i);
    expect(foreign.logLines().some((l) => l.msg === 'connected to coordinator')).toBe(false);
    expect(c.onlineEvents('hospital-c')).toBe(0);

    // The coordinator's side: a client that trusts the consortium CA but presents the foreign
    // certificate is refused in the handshake (no welcome, the stream fails UNAVAILABLE).
    const fk = loadKit(foreignKit);
    const raw = new RawAgentClient({ ca: loadKit(c.kitDir('hospital-a')).tls.ca, cert: fk.tls.cert, key: fk.tls.key }, c.address);
    try {
      raw.hello();
      await raw.waitClosed();
      expect(raw.received.length).toBe(0);
      expect(raw.error?.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      raw.close();
    }
    // The coordinator says so, once a minute per address however many attempts (all from 127.0.0.1).
    await ProcessConsortium.until(() => c.coordinator!.logLines().some((l) => String(l.msg).startsWith('rejected a TLS client')), 20_000, 'the coordinator to log the rejected handshake');
    const rejected = c.coordinator!.logLines().filter((l) => String(l.msg).startsWith('rejected a TLS client'));
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.level).toBe(40);
    expect(rejected[0]!.peer).toBe('127.0.0.1');
    expect(c.onlineEvents('hospital-c')).toBe(0);
  });

  it('takes the party id from the certificate: a kit cannot be run as another party, nor act for one', async () => {
    // Locally: a config naming hospital-b with hospital-c's kit is refused before dialling.
    const cfg = { ...c.agentConfig('hospital-b', c.kitDir('hospital-c')), state: { dir: join(c.dir, 'agents', 'liar') } };
    const r = await runCli(['agent', 'start', '--config', c.writeConfig('liar', cfg)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/fedsynth: INVALID_CONFIG: .*party\.id 'hospital-b' does not match the kit's certificate \(hospital-c\)/);

    // On the wire: hospital-c's certificate is welcomed as hospital-c, and its approval of a study
    // that invites hospital-b (not c) does not count for hospital-b.
    // The coordinator refuses to invite a party it has never known (NOT_FOUND): hospital-b's own
    // kit says hello once, so hospital-b is known (and offline) when the study is created.
    const b = new RawAgentClient(c.kitDir('hospital-b'), c.address);
    try {
      b.hello();
      await b.waitFor((m) => m.body?.$case === 'welcome');
    } finally {
      b.close();
    }
    const onlineB = c.onlineEvents('hospital-b');
    const studyId = await c.createStudy({ parties: ['hospital-b'], aggregation: 'plain', minParties: 1, id: 'impersonation-check' });
    const raw = new RawAgentClient(c.kitDir('hospital-c'), c.address);
    try {
      raw.hello();
      const welcome = await raw.waitFor((m) => m.body?.$case === 'welcome');
      expect(welcome.body?.$case === 'welcome' && welcome.body.value.partyId).toBe('hospital-c');
      raw.send({ $case: 'studyDecision', value: { studyId, approved: true, reason: 'I am hospital-b' } });
      // Refused (typed, naming the field, counted): hospital-c was not invited to the study.
      await ProcessConsortium.until(
        () => c.coordinator!.logLines().some((l) => String(l.msg).startsWith('refused a frame of the agent: study_decision.study_id:') && l.code === 'UNKNOWN_STUDY' && l.partyId === 'hospital-c'),
        20_000,
        'the coordinator to refuse the decision',
      );
      const st = await c.operator().getStudy(studyId);
      expect(st.parties.map((p) => [p.partyId, p.decision])).toEqual([['hospital-b', 'pending']]);
      // The coordinator lists the raw client under its certificate's name only.
      expect(c.onlineEvents('hospital-c')).toBe(1);
      expect(c.onlineEvents('hospital-b')).toBe(onlineB);
    } finally {
      raw.close();
      await c.operator().cancelStudy(studyId, 'test done');
    }
  });

  it('refuses a revoked party certificate once the coordinator has the new crl.pem', async () => {
    // hospital-b's kit came online once, before it was revoked (the identity test above).
    const onlineB = c.onlineEvents('hospital-b');
    const out = await runCliJson<{ revoked: string[] }>(['pki', 'revoke', '--ca', join(c.dir, 'ca'), '--party', 'hospital-b', '--reason', 'keyCompromise']);
    expect(out.revoked.length).toBe(1);
    // loadTrust reads crl.pem from the coordinator's kit directory at start: copy it there, restart.
    copyFileSync(join(c.dir, 'ca', 'crl.pem'), join(c.kitDir('coordinator'), 'crl.pem'));
    const port = c.port;
    const onlineBefore = c.onlineEvents('hospital-a');
    await c.coordinator!.stop();
    await c.startCoordinator({ port });
    mkdirSync(c.stateDir('hospital-b'), { recursive: true });
    const revoked = c.startAgent('hospital-b');
    await ProcessConsortium.until(() => reconnectReasons(revoked).length >= 2, 90_000, 'the revoked agent to be refused twice');
    // The honest agent reconnected to the restarted coordinator (same port) meanwhile.
    await ProcessConsortium.until(() => c.onlineEvents('hospital-a') > onlineBefore, 60_000, 'hospital-a back online');
    await exitsRefused(revoked, /fedsynth: CERTIFICATE_REVOKED: the coordinator refused this agent: .*revoked.*ask the consortium's CA operator for a new kit/);
    await revoked.stop();
    for (const w of reconnectReasons(revoked)) expect(w).toContain('CERTIFICATE_REVOKED');
    const refusals = c.coordinator!.logLines().filter((l) => l.msg === 'refused an agent connection');
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(String(refusals[0].err)).toMatch(/revoked/);
    expect(c.onlineEvents('hospital-b')).toBe(onlineB);
    expect(honest.running).toBe(true);
  });
});
