// Integration test of bad input across processes: malformed and out-of-step messages, unknown
// studies, a corrupt state file and invalid agent configs each get a typed error with a stable code.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { domainHash } from '../shared/study/domainHash.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { Aggregation, Mechanism, StudySpec, RoundRequest, type AgentMessage } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { RawAgentClient } from './support/RawAgentClient.js';
import { FakeCoordinator } from './support/FakeCoordinator.js';
import { runCli, runCliJson } from './support/runCli.js';
import { rawQueryFields } from '../platform/wire/localQueryWire.js';
import { secureChannel } from '../platform/grpc/secureChannel.js';

const c = new ProcessConsortium({ name: 'bad-input', rows: 900 });

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  c.startAgent('hospital-a');
  await ProcessConsortium.until(() => c.onlineEvents('hospital-a') >= 1, 90_000, 'hospital-a online');
}, 150_000);

afterAll(() => c.stop());

function coordinatorLogged(msg: string, partyId: string): boolean {
  return c.coordinator!.logLines().some((l) => l.msg === msg && l.partyId === partyId);
}

/** The coordinator's warn line for a refused agent frame: names the field, with its code (platform/grpc/FrameRefusals). */
function coordinatorRefused(field: string, code: string, partyId: string): boolean {
  return c.coordinator!.logLines().some((l) => String(l.msg).startsWith(`refused a frame of the agent: ${field}:`) && l.field === field && l.code === code && l.partyId === partyId);
}

describe('the coordinator process under bad agent input', () => {
  it('closes a stream that sends a malformed protobuf frame, with a status', async () => {
    const kit = loadKit(c.kitDir('hospital-c'));
    const { credentials, options } = secureChannel(c.address, { caPem: kit.tls.ca, keyPem: kit.tls.key, certPem: kit.tls.cert });
    const client = new grpc.Client(c.address, credentials, options);
    const call = client.makeBidiStreamRequest<Buffer, Buffer>('/fedsynth.consortium.v1.AgentGateway/Connect', (b) => b, (b) => b);
    const status = await new Promise<grpc.ServiceError>((resolve) => {
      call.on('error', (e: grpc.ServiceError) => resolve(e));
      call.on('data', () => undefined);
      // Field 2 (hello) declared length-delimited with a length far beyond the frame.
      call.write(Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01]));
    });
    client.close();
    // A typed status (tolerant decoders, coordinator/grpcErrors.ts), not grpc-js's bare INTERNAL.
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(status.metadata.get('fedsynth-code')).toEqual([ErrorCode.ProtocolViolation]);
    expect(status.details).toMatch(/^PROTOCOL_VIOLATION: malformed protobuf frame/);
    expect(coordinatorLogged('agent online', 'hospital-c')).toBe(false);
  });

  it('answers a stream that does not start with hello with PROTOCOL_VIOLATION', async () => {
    const raw = new RawAgentClient(c.kitDir('hospital-c'), c.address);
    try {
      raw.send({ $case: 'heartbeat', value: { unixMs: Date.now() } });
      const m = await raw.waitFor((x) => x.body?.$case === 'error');
      expect(m.body?.$case === 'error' && m.body.value.code).toBe(ErrorCode.ProtocolViolation);
    } finally {
      raw.close();
    }
  });

  it('refuses an unknown study, a stray round reply and a replayed sequence number (typed, naming the field) without dropping the session', async () => {
    const raw = new RawAgentClient(c.kitDir('hospital-c'), c.address);
    try {
      raw.hello();
      await raw.waitFor((m) => m.body?.$case === 'welcome');
      raw.send({ $case: 'studyDecision', value: { studyId: 'no-such-study', approved: true, reason: '' } });
      raw.send({ $case: 'roundReply', value: { studyId: 'no-such-study', roundId: 'no-such-study/r0', attempt: 0, stage: { $case: 'refusal', value: { code: 'X', message: 'x' } } } });
      raw.send({ $case: 'heartbeat', value: { unixMs: 1 } }, 1); // seq 1 again: a replay
      await ProcessConsortium.until(
        () =>
          coordinatorRefused('study_decision.study_id', ErrorCode.UnknownStudy, 'hospital-c') &&
          coordinatorRefused('round_reply.round_id', ErrorCode.OutOfStep, 'hospital-c') &&
          coordinatorRefused('seq', ErrorCode.OutOfStep, 'hospital-c'),
        20_000,
        'the coordinator to log the three refused messages',
      );
      // The replay is answered with a typed error naming the field.
      await raw.waitFor((m) => m.body?.$case === 'error' && m.body.value.field === 'seq' && m.body.value.code === ErrorCode.OutOfStep);
      // The session is still served: a fresh heartbeat is answered.
      const before = raw.received.filter((m) => m.body?.$case === 'heartbeat').length;
      raw.send({ $case: 'heartbeat', value: { unixMs: 2 } }, 100);
      await ProcessConsortium.until(() => raw.received.filter((m) => m.body?.$case === 'heartbeat').length > before, 20_000, 'a heartbeat answer');
      expect(raw.error).toBeUndefined();
    } finally {
      raw.close();
    }
  });

  it('answers an unknown study on the operator API with UNKNOWN_STUDY (gRPC and CLI)', async () => {
    const err = await c.operator().getStudy('no-such-study').then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(FedsynthError);
    expect((err as FedsynthError).code).toBe(ErrorCode.UnknownStudy);
    const r = await runCli(['study', 'status', 'no-such-study', '--kit', c.kitDir('operator'), '--coordinator', c.address]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^fedsynth: UNKNOWN_STUDY: /m);
  });

  it('keeps serving other agents afterwards: a study with a newly started agent runs to done', async () => {
    expect(c.coordinator!.running).toBe(true);
    c.startAgent('hospital-b');
    // Plain mode costs each party up to n - f - d = 2 times the study's rho (the coordinator sees its
    // vector): epsilon 0.4 keeps that within the agents' per-study cap of epsilon 1.
    const id = await c.createStudy({ aggregation: 'plain', parties: ['hospital-a', 'hospital-b'], rows: 100, epsilon: 0.4 });
    const st = await c.waitForStudy(id, (s) => s.state === 'done');
    expect(st.parties.every((p) => p.decision === 'approved')).toBe(true);
  });
});

describe('a party agent process under bad coordinator input', () => {
  it('refuses malformed, unknown-study and out-of-step rounds with typed codes, charging nothing', async () => {
    const fake = new FakeCoordinator(c.kitDir('coordinator'), 'hospital-c');
    const port = await fake.start();
    const cfg = { ...c.agentConfig('hospital-c'), coordinator: { address: `127.0.0.1:${port}` } };
    const agent = c.startAgent('hospital-c', { config: c.writeConfig('hospital-c-fake', cfg), name: 'hospital-c-fake' });
    try {
      await fake.waitFor((m) => m.body?.$case === 'hello', 90_000);
      const studyId = 'fake-study';
      const spec = StudySpec.fromPartial({
        studyId,
        title: 'bad input',
        mechanism: Mechanism.MECHANISM_MST,
        epsilon: 1,
        delta: 1e-9,
        rho: rhoFromEpsilon(1, 1e-9),
        columns: [...c.domain.attrs],
        domain: c.domain.attrs.map((name, i) => ({ name, size: c.domain.shape[i] })),
        aggregation: Aggregation.AGGREGATION_MASKING,
        minParties: 2,
        syntheticRows: 10,
        domainHash: domainHash(c.domain),
        maxSilosPerIndividual: 1,
      });
      fake.send({ $case: 'studyAnnouncement', value: { spec, parties: ['hospital-b', 'hospital-c'] } });
      const decision = await fake.waitFor((m) => m.body?.$case === 'studyDecision');
      expect(decision.body?.$case === 'studyDecision' && decision.body.value.approved).toBe(true);

      const compute = {
        ...rawQueryFields(Buffer.from('{"kind": ')),
        rho: 0.001,
        perPartySigma2: 1e6,
        chargeKey: `${studyId}/0/x`,
        label: 'x',
        vectorLength: 2,
        aggregation: Aggregation.AGGREGATION_MASKING,
        participants: ['hospital-b', 'hospital-c'],
        threshold: 2,
        modulusBits: 32,
        hePublicKey: Buffer.alloc(0),
      };
      const asks: [string, RoundRequest][] = [
        [ErrorCode.UnknownStudy, RoundRequest.fromPartial({ studyId: 'ghost-study', roundId: 'ghost-study/r0', stage: { $case: 'compute', value: { ...compute, chargeKey: 'ghost-study/0/x' } } })],
        [ErrorCode.ProtocolViolation, RoundRequest.fromPartial({ studyId, roundId: `${studyId}/r0`, stage: { $case: 'compute', value: compute } })],
        [ErrorCode.ProtocolViolation, RoundRequest.fromPartial({ studyId, roundId: `${studyId}/r1` })],
        [ErrorCode.OutOfStep, RoundRequest.fromPartial({ studyId, roundId: `${studyId}/r2`, stage: { $case: 'unmask', value: { survivors: ['hospital-b', 'hospital-c'] } } })],
      ];
      for (const [code, req] of asks) {
        fake.send({ $case: 'roundRequest', value: req });
        const reply = await fake.waitFor((m) => m.body?.$case === 'roundReply' && m.body.value.roundId === req.roundId);
        const stage = reply.body?.$case === 'roundReply' ? reply.body.value.stage : undefined;
        expect(stage?.$case, req.roundId).toBe('refusal');
        expect(stage?.$case === 'refusal' && stage.value.code, req.roundId).toBe(code);
      }
      // Still alive and heartbeating after all of it.
      const beats = (list: AgentMessage[]) => list.filter((m) => m.body?.$case === 'heartbeat').length;
      const n = beats(fake.received);
      await ProcessConsortium.until(() => beats(fake.received) > n, 20_000, 'a heartbeat after the refusals');
      expect(agent.running).toBe(true);
    } finally {
      await agent.stop();
      fake.stop();
    }
    const ledger = await runCliJson<{ charges: unknown[] }>(['privacy', 'ledger', '--state', join(c.stateDir('hospital-c'), 'ledger.sqlite')]);
    expect(ledger.charges).toEqual([]);
  });
});

describe('command-line refusals', () => {
  it('a corrupt coordinator state file, an invalid agent config field and `agent start --seed` exit with stable codes', async () => {
    const dataDir = join(c.dir, 'corrupt-coordinator');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'coordinator.sqlite'), Buffer.from('this is not a SQLite database, just garbage bytes \u0000\u0001\u0002'.repeat(200)));
    const bad = c.agentConfig('hospital-b');
    (bad.policy as Record<string, unknown>).maxEpsilonPerStudy = -1;
    const badFile = c.writeConfig('invalid-field', bad);
    const good = c.writeConfig('seeded', { ...c.agentConfig('hospital-b'), state: { dir: join(c.dir, 'agents', 'seeded') } });
    const [corrupt, invalid, seeded] = await Promise.all([
      runCli(['coordinator', 'start', '--kit', c.kitDir('coordinator'), '--listen', '127.0.0.1:0', '--data-dir', dataDir]),
      runCli(['agent', 'start', '--config', badFile]),
      runCli(['agent', 'start', '--config', good, '--seed', '1']),
    ]);
    expect(corrupt.code).toBe(65);
    expect(corrupt.stderr).toMatch(/^fedsynth: CORRUPT_STATE: .*coordinator\.sqlite/m);
    expect(invalid.code).toBe(65);
    expect(invalid.stderr).toMatch(/^fedsynth: INVALID_CONFIG: /m);
    expect(invalid.stderr).toContain('policy.maxEpsilonPerStudy');
    expect(seeded.code).toBe(64);
    expect(seeded.stderr).toMatch(/^fedsynth: INVALID_ARGUMENT: --seed /m);
  });
});
