// Hostile input at every RPC, on loopback with real mTLS: 1,000 seeded malformed, truncated, oversized,
// reordered and replayed frames per RPC at the coordinator, a real agent and a real custodian; typed codes, no crash, no state change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import Database from 'better-sqlite3';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { CONSORTIUM_PROTOCOL_VERSION } from '../shared/study/protocolVersion.js';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { cryptoRandomSource } from '../shared/dp/random/RandomSource.js';
import { domainHash } from '../shared/study/domainHash.js';
import { silentLogger } from '../platform/logging/logging.js';
import { initCa } from '../platform/pki/CertificateAuthority.js';
import { issueKit } from '../platform/pki/issueKit.js';
import { loadKit, type LoadedKit } from '../platform/pki/loadKit.js';
import { Coordinator } from '../coordinator/Coordinator.js';
import { PartyAgent } from '../party-agent/PartyAgent.js';
import { BudgetLedger } from '../party-agent/ledger/BudgetLedger.js';
import { KeyCustodian } from '../custodian/KeyCustodian.js';
import { CustodianConnection, custodianEndorser } from '../custodian/CustodianConnection.js';
import {
  AgentGatewayService,
  AgentMessage,
  Aggregation,
  ComputeStage,
  CoordinatorMessage,
  CreateStudyRequest,
  FetchOutputRequest,
  GetStudyRequest,
  CancelStudyRequest,
  ListStudiesRequest,
  Mechanism,
  StudySpec,
} from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { CustodianGatewayService, CustodianMessage, CustodianRequest } from '../proto/generated/fedsynth/custodian/v1/custodian.js';
import { computeQueryFields } from '../platform/wire/localQueryWire.js';
import { decodes, hostileFrames, type HostileFrame, type HostileKind } from './support/hostileFrames.js';
import type { FrameRefusals } from '../platform/grpc/FrameRefusals.js';

const PER_RPC = 1000;
const root = mkdtempSync(join(tmpdir(), 'fedsynth-hostile-'));
const log = silentLogger();
const domain = new Domain(['a', 'b'], [4, 3]);
let coordinatorKit: LoadedKit;
let partyKit: LoadedKit;
let custodianKit: LoadedKit;
let operatorKit: LoadedKit;
let coordinator: Coordinator;
let address = '';

const identity = (b: Buffer): Buffer => b;

function client(kit: LoadedKit, at = address): grpc.Client {
  return new grpc.Client(at, grpc.credentials.createSsl(kit.tls.ca, kit.tls.key, kit.tls.cert), { 'grpc.ssl_target_name_override': 'localhost' });
}

/** The fedsynth code a status carries ('' when none). */
function codeOf(s: { metadata?: grpc.Metadata }): string {
  const v = s.metadata?.get('fedsynth-code')[0];
  return typeof v === 'string' ? v : '';
}

/** Tally of outcomes by frame kind, for the failure messages and the report. */
class Tally {
  readonly rows = new Map<string, number>();
  /** Frames the generated decoder rejects (the generator must produce plenty of them). */
  malformed = 0;
  add(kind: HostileKind, outcome: string): void {
    const k = `${kind}:${outcome}`;
    this.rows.set(k, (this.rows.get(k) ?? 0) + 1);
  }
  toString(): string {
    return [...this.rows].map(([k, n]) => `${k}=${n}`).join(' ');
  }
}

/**
 * Every frame's outcome: a frame the generated decoder rejects must get PROTOCOL_VIOLATION (INVALID_ARGUMENT);
 * one it accepts may succeed or get any typed error, never a status without a fedsynth code.
 */
function judge(tally: Tally, f: HostileFrame, decodable: boolean, status: { code: number; details?: string; metadata?: grpc.Metadata }): void {
  const code = codeOf(status);
  tally.add(f.kind, status.code === grpc.status.OK ? 'ok' : code || `bare-${status.code}`);
  if (!decodable) {
    tally.malformed++;
    expect(status.code, `${f.kind} ${status.details}`).toBe(grpc.status.INVALID_ARGUMENT);
    expect(code).toBe(ErrorCode.ProtocolViolation);
    expect(status.details).toMatch(/^PROTOCOL_VIOLATION: malformed protobuf frame/);
  } else if (status.code !== grpc.status.OK) {
    expect(code, `${f.kind} ${status.code} ${status.details}`).not.toBe('');
  }
}

function coordinatorState(): string {
  return JSON.stringify(coordinator.store.listStudies().map((s) => [s.id, s.state, coordinator.store.parties(s.id)]));
}

beforeAll(async () => {
  const ca = await initCa(join(root, 'ca'), { consortium: 'hostile' });
  const placeholder = '127.0.0.1:7443';
  await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: placeholder, out: join(root, 'coordinator'), hosts: ['127.0.0.1', 'localhost'] });
  await issueKit(ca, { role: 'party', id: 'hospital-x', coordinator: placeholder, out: join(root, 'hospital-x') });
  await issueKit(ca, { role: 'custodian', id: 'custodian', coordinator: placeholder, out: join(root, 'custodian') });
  await issueKit(ca, { role: 'operator', id: 'operator', coordinator: placeholder, out: join(root, 'operator') });
  coordinatorKit = loadKit(join(root, 'coordinator'));
  partyKit = loadKit(join(root, 'hospital-x'));
  custodianKit = loadKit(join(root, 'custodian'));
  operatorKit = loadKit(join(root, 'operator'));
  coordinator = new Coordinator({
    listen: '127.0.0.1:0',
    tls: { caPem: coordinatorKit.tls.ca, certPem: coordinatorKit.tls.cert, keyPem: coordinatorKit.tls.key },
    dataDir: join(root, 'coordinator-data'),
    log,
    approvalTimeoutMs: 600_000,
  });
  address = `127.0.0.1:${await coordinator.start()}`;
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  rmSync(root, { recursive: true, force: true });
});

const spec = StudySpec.fromPartial({
  studyId: '',
  mechanism: Mechanism.MECHANISM_MST,
  epsilon: 1,
  delta: 1e-9,
  domain: [], // invalid: most mutations stay refused
  aggregation: Aggregation.AGGREGATION_MASKING,
  minParties: 2,
  syntheticRows: 10,
  domainHash: domainHash(domain),
  maxSilosPerIndividual: 1,
});

describe('the coordinator under hostile frames (1,000 per RPC)', () => {
  const unary: [string, string, (b: Uint8Array) => unknown, Uint8Array[]][] = [
    ['CreateStudy', OperatorPath('CreateStudy'), CreateStudyRequest.decode, [CreateStudyRequest.encode({ spec, parties: ['hospital-x', 'hospital-y'], seed: '', splitNote: '', roundTimeoutMs: 0 }).finish()]],
    ['ListStudies', OperatorPath('ListStudies'), ListStudiesRequest.decode, [ListStudiesRequest.encode({}).finish(), Buffer.from([0x08, 0x01])]],
    ['GetStudy', OperatorPath('GetStudy'), GetStudyRequest.decode, [GetStudyRequest.encode({ studyId: 'no-such-study' }).finish()]],
    ['CancelStudy', OperatorPath('CancelStudy'), CancelStudyRequest.decode, [CancelStudyRequest.encode({ studyId: 'no-such-study', reason: 'fuzz' }).finish()]],
  ];

  for (const [name, path, decode, valid] of unary) {
    it(`OperatorService.${name}`, async () => {
      const c = client(operatorKit);
      const before = coordinator.store.listStudies().length;
      let created = 0;
      const tally = new Tally();
      try {
        for (const f of hostileFrames(name, valid, PER_RPC)) {
          const status = await new Promise<grpc.StatusObject>((resolve) => {
            const call = c.makeUnaryRequest(path, identity, identity, f.bytes, { deadline: Date.now() + 20_000 }, () => undefined);
            call.on('status', resolve);
          });
          judge(tally, f, decodes(decode, f.bytes), status);
          if (name === 'CreateStudy' && status.code === grpc.status.OK) created++;
        }
      } finally {
        c.close();
      }
      // No state change but the studies a decodable, valid request did create (each answered OK).
      expect(coordinator.store.listStudies().length, tally.toString()).toBe(before + created);
      expect(tally.malformed, tally.toString()).toBeGreaterThan(PER_RPC / 4);
      if (name !== 'CreateStudy') expect(created).toBe(0);
    });
  }

  const streaming: [string, (b: Uint8Array) => unknown, Uint8Array[]][] = [
    ['WatchStudy', GetStudyRequest.decode, [GetStudyRequest.encode({ studyId: 'no-such-study' }).finish()]],
    ['FetchOutput', FetchOutputRequest.decode, [FetchOutputRequest.encode({ studyId: 'no-such-study', fileName: 'synthetic.csv' }).finish()]],
  ];
  for (const [name, decode, valid] of streaming) {
    it(`OperatorService.${name} (server streaming)`, async () => {
      const c = client(operatorKit);
      const state = coordinatorState();
      const tally = new Tally();
      try {
        for (const f of hostileFrames(name, valid, PER_RPC)) {
          const status = await new Promise<grpc.StatusObject>((resolve) => {
            const call = c.makeServerStreamRequest(OperatorPath(name), identity, identity, f.bytes, { deadline: Date.now() + 20_000 });
            call.on('data', () => undefined);
            call.on('error', () => undefined);
            call.on('status', resolve);
          });
          judge(tally, f, decodes(decode, f.bytes), status);
        }
      } finally {
        c.close();
      }
      expect(coordinatorState(), tally.toString()).toBe(state);
      expect(tally.malformed, tally.toString()).toBeGreaterThan(PER_RPC / 4);
    });
  }

  /**
   * hello, then the hostile frame, then a half-close: the status says how the frame was taken. A
   * frame that decodes must be answered (more than the welcome comes back), refused (the gateway's
   * refusedFrames count grows: a warn line naming the field) or be of a kind `silentOk` allows (a
   * liveness heartbeat, a report that is logged): never ignored silently.
   */
  async function bidi(kit: LoadedKit, path: string, hello: Uint8Array, frames: HostileFrame[], decode: (b: Uint8Array) => unknown, refusals: FrameRefusals, silentOk: (b: Uint8Array) => boolean): Promise<Tally> {
    const c = client(kit);
    const tally = new Tally();
    try {
      for (const f of frames) {
        let responses = 0;
        const refusedBefore = refusals.total;
        const status = await new Promise<grpc.StatusObject>((resolve) => {
          const call = c.makeBidiStreamRequest(path, identity, identity, { deadline: Date.now() + 20_000 });
          call.on('data', () => void responses++);
          call.on('error', () => undefined);
          call.on('status', resolve);
          call.write(Buffer.from(hello));
          call.write(f.bytes);
          call.end();
        });
        const decodable = decodes(decode, f.bytes);
        judge(tally, f, decodable, status);
        if (decodable && status.code === grpc.status.OK) {
          const refused = refusals.total > refusedBefore;
          tally.add(f.kind, refused ? 'refused' : responses > 1 ? 'answered' : 'silent');
          if (!refused && responses <= 1) expect(silentOk(f.bytes), `${f.kind} frame ignored silently: ${f.bytes.toString('hex').slice(0, 80)}`).toBe(true);
        }
      }
    } finally {
      c.close();
    }
    expect(tally.malformed, tally.toString()).toBeGreaterThan(frames.length / 4);
    return tally;
  }

  it('AgentGateway.Connect (bidirectional; a party certificate)', async () => {
    const state = coordinatorState();
    const hello = AgentMessage.encode({ seq: 1, body: { $case: 'hello', value: { protocolVersion: CONSORTIUM_PROTOCOL_VERSION, softwareVersion: 'fuzz', domainHash: '', knownStudyIds: [] } } }).finish();
    const valid = [
      AgentMessage.encode({ seq: 2, body: { $case: 'heartbeat', value: { unixMs: 1 } } }).finish(),
      AgentMessage.encode({ seq: 3, body: { $case: 'studyDecision', value: { studyId: 'no-such-study', approved: true, reason: 'fuzz' } } }).finish(),
      AgentMessage.encode({ seq: 4, body: { $case: 'roundReply', value: { studyId: 'no-such-study', roundId: 'r', attempt: 0, stage: { $case: 'plain', value: { noisyVector: Buffer.alloc(16, 1), elementBits: 32 } } } } }).finish(),
      AgentMessage.encode({ seq: 5, body: { $case: 'deliveryAck', value: { studyId: 'no-such-study', fileName: 'synthetic.csv', ok: true, sha256: 'ab' } } }).finish(),
      AgentMessage.encode({ seq: 6, body: { $case: 'error', value: { code: 'X', message: 'fuzz', studyId: '', roundId: '', field: '' } } }).finish(),
      hello,
    ];
    // Silent by design: an agent's error report (logged with its code) and a delivery ack (audited).
    const silentOk = (b: Uint8Array): boolean => ['error', 'deliveryAck'].includes(AgentMessage.decode(b).body?.$case ?? '');
    const tally = await bidi(partyKit, AgentGatewayService.connect.path, hello, hostileFrames('agent-gateway', valid, PER_RPC), AgentMessage.decode, coordinator.gateway.refusedFrames, silentOk);
    expect(coordinatorState(), tally.toString()).toBe(state);
    expect(tally.toString()).toMatch(/refused=/);
    for (const field of ['seq', 'body']) expect(Object.keys(coordinator.gateway.refusedFrames.byField()).some((k) => k.endsWith(` ${field}`)), field).toBe(true);
    expect(coordinator.gateway.onlineParties()).toEqual([]);
  });

  it('CustodianGateway.Connect (bidirectional; the custodian certificate)', async () => {
    const state = coordinatorState();
    const hello = CustodianMessage.encode({ seq: 1, requestId: 0, body: { $case: 'hello', value: { protocolVersion: 1, softwareVersion: 'fuzz' } } }).finish();
    const valid = [
      CustodianMessage.encode({ seq: 2, requestId: 0, body: { $case: 'heartbeat', value: { unixMs: 1 } } }).finish(),
      CustodianMessage.encode({ seq: 3, requestId: 77, body: { $case: 'refusal', value: { code: 'X', message: 'fuzz' } } }).finish(),
      CustodianMessage.encode({ seq: 4, requestId: 78, body: { $case: 'decrypted', value: { roundId: 'r', sum: Buffer.alloc(16), chunkIndex: 0, chunkCount: 1, vectorLength: 2, digest: Buffer.alloc(32) } } }).finish(),
      hello,
    ];
    // Silent by design: the custodian's heartbeat (liveness).
    const silentOk = (b: Uint8Array): boolean => CustodianMessage.decode(b).body?.$case === 'heartbeat';
    const tally = await bidi(custodianKit, CustodianGatewayService.connect.path, hello, hostileFrames('custodian-gateway', valid, PER_RPC), CustodianMessage.decode, coordinator.custodian.refusedFrames, silentOk);
    expect(tally.toString()).toMatch(/refused=/);
    expect(coordinatorState(), tally.toString()).toBe(state);
  });
});

function OperatorPath(method: string): string {
  return `/fedsynth.consortium.v1.OperatorService/${method}`;
}

/** A scripted coordinator endpoint (the coordinator's kit, 127.0.0.1:0) that writes raw frames to the one client of `path`. */
class RawFrameServer {
  readonly received: Buffer[] = [];
  private call: grpc.ServerDuplexStream<Buffer, Buffer> | undefined;
  private readonly server = new grpc.Server();
  connections = 0;

  constructor(path: string) {
    const method: grpc.MethodDefinition<Buffer, Buffer> = { path, requestStream: true, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
    this.server.addService({ connect: method }, {
      connect: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        this.connections++;
        this.call = call;
        call.on('data', (b: Buffer) => this.received.push(b));
        call.on('error', () => undefined);
      },
    });
  }

  async start(): Promise<string> {
    const creds = grpc.ServerCredentials.createSsl(coordinatorKit.tls.ca, [{ cert_chain: coordinatorKit.tls.cert, private_key: coordinatorKit.tls.key }], true);
    const port = await new Promise<number>((resolve, reject) => this.server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
    return `127.0.0.1:${port}`;
  }

  write(b: Uint8Array): void {
    if (!this.call) throw new Error('no client connected');
    this.call.write(Buffer.from(b));
  }

  async until(pred: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

describe('a real party agent under hostile coordinator frames', () => {
  it(`${PER_RPC} frames on one stream: each malformed one answered PROTOCOL_VIOLATION, rounds refused typed, nothing charged or stored`, async () => {
    const fake = new RawFrameServer(AgentGatewayService.connect.path);
    const at = await fake.start();
    const stateDir = join(root, 'agent');
    const ledger = new BudgetLedger(join(root, 'agent-ledger.sqlite'), { perStudyRho: 10, lifetimeRho: 10, defaultDataset: 'd' });
    const table = EncodedTable.fromCsv('a,b\n0,0\n1,2\n3,1\n', domain);
    const agent = new PartyAgent({
      coordinatorAddress: at,
      tls: { caPem: partyKit.tls.ca, certPem: partyKit.tls.cert, keyPem: partyKit.tls.key, serverName: 'localhost' },
      domain,
      source: new InMemoryMarginalSource(table),
      policy: { allowedColumns: '*', maxEpsilonPerStudy: 10, maxDeltaPerStudy: 1e-6, allowedMechanisms: ['mst'], minParties: 1, autoApprove: true, allowPlainAggregation: true },
      stateDir,
      ledger: { charge: (r) => void ledger.charge(r) },
      noiseRng: cryptoRandomSource(),
      log,
      secagg: {
        partyId: 'hospital-x',
        signingSecretKey: partyKit.sodiumSigningSecretKey,
        certificate: new Uint8Array(new X509Certificate(partyKit.certPem).raw),
        verifyPeer: () => {
          throw new Error('no peers in this test');
        },
      },
      secaggRng: cryptoRandomSource(),
    });
    const decoded = () => fake.received.map((b) => AgentMessage.decode(b));
    try {
      agent.start();
      await fake.until(() => fake.received.length > 0, 'the hello');
      fake.write(CoordinatorMessage.encode({ seq: 1, body: { $case: 'welcome', value: { partyId: 'hospital-x', coordinatorId: 'fake', heartbeatIntervalMs: 60_000, protocolVersion: CONSORTIUM_PROTOCOL_VERSION } } }).finish());
      const compute = ComputeStage.fromPartial({ ...computeQueryFields({ kind: 'marginals', attrSets: [['a']] }, domain), rho: 0.01, perPartySigma2: 100, chargeKey: 'ghost/k', label: 'k', vectorLength: 4, aggregation: Aggregation.AGGREGATION_PLAIN, participants: ['hospital-x'], threshold: 1, modulusBits: 32 });
      const valid = [
        CoordinatorMessage.encode({ seq: 2, body: { $case: 'heartbeat', value: { unixMs: 1 } } }).finish(),
        CoordinatorMessage.encode({ seq: 3, body: { $case: 'roundRequest', value: { studyId: 'ghost', roundId: 'ghost/r0', roundIndex: 0, attempt: 0, stage: { $case: 'compute', value: compute } } } }).finish(),
        CoordinatorMessage.encode({ seq: 4, body: { $case: 'roundRequest', value: { studyId: 'ghost', roundId: 'ghost/r1', roundIndex: 1, attempt: 0, stage: { $case: 'unmask', value: { survivors: ['hospital-x'], signatures: [], seedsFor: [], keysFor: [] } } } } }).finish(),
        CoordinatorMessage.encode({ seq: 5, body: { $case: 'error', value: { code: 'X', message: 'fuzz', studyId: '', roundId: '', field: '' } } }).finish(),
        CoordinatorMessage.encode({ seq: 6, body: { $case: 'delivery', value: { studyId: 'ghost', fileName: '../escape', offset: 0, data: Buffer.from('x'), last: true, sha256: '' } } }).finish(),
      ];
      const tally = new Tally();
      let k = 0;
      for (const f of hostileFrames('agent', valid, PER_RPC)) {
        const from = fake.received.length;
        const refusedBefore = agent.refusedFrames.total;
        fake.write(f.bytes);
        // A marker round (unknown study) after each frame: the agent answers rounds in order.
        const marker = `ghost/marker-${k++}`;
        fake.write(CoordinatorMessage.encode({ seq: 7, body: { $case: 'roundRequest', value: { studyId: 'ghost', roundId: marker, roundIndex: 0, attempt: 0, stage: { $case: 'compute', value: compute } } } }).finish());
        await fake.until(() => fake.received.slice(from).some((b) => { const m = AgentMessage.decode(b); return m.body?.$case === 'roundReply' && m.body.value.roundId === marker; }), `the reply to ${marker}`);
        const answers = fake.received.slice(from).map((b) => AgentMessage.decode(b)).filter((m) => !(m.body?.$case === 'roundReply' && m.body.value.roundId === marker));
        const frameErrors = answers.filter((m) => m.body?.$case === 'error' && m.body.value.field === 'frame');
        if (!decodes(CoordinatorMessage.decode, f.bytes)) {
          tally.add(f.kind, 'malformed');
          tally.malformed++;
          expect(frameErrors.length, f.kind).toBe(1);
          expect(frameErrors[0].body?.$case === 'error' && frameErrors[0].body.value.code).toBe(ErrorCode.ProtocolViolation);
        } else {
          tally.add(f.kind, 'decoded');
          expect(frameErrors).toEqual([]);
          // Decoded: answered, refused (typed warn line naming the field, counted), or a kind that is
          // silent by design (heartbeat: liveness; a coordinator error report: logged with its code).
          const body = CoordinatorMessage.decode(f.bytes).body?.$case ?? '';
          const refused = agent.refusedFrames.total > refusedBefore;
          tally.add(f.kind, refused ? 'refused' : answers.length > 0 ? 'answered' : 'silent');
          if (!refused && answers.length === 0) expect(['heartbeat', 'error'], `${f.kind} frame (${body || 'no body'}) ignored silently`).toContain(body);
        }
        // Whatever was decoded, nothing but refusals (with a fedsynth code) left as round replies.
        for (const m of answers) {
          if (m.body?.$case !== 'roundReply') continue;
          expect(m.body.value.stage?.$case, f.kind).toBe('refusal');
          expect(m.body.value.stage?.$case === 'refusal' && m.body.value.stage.value.code).toMatch(/^[A-Z_]+$/);
        }
      }
      // One connection throughout (no malformed frame broke the stream), and no state.
      expect(fake.connections, tally.toString()).toBe(1);
      expect(tally.malformed, tally.toString()).toBeGreaterThan(PER_RPC / 4);
      expect(decoded().filter((m) => m.body?.$case === 'hello')).toHaveLength(1);
      expect(agent.store.studies()).toEqual([]);
      expect(ledger.list()).toEqual([]);
      expect(agent.refusedFrames.total, tally.toString()).toBeGreaterThan(0);
    } finally {
      await agent.stop();
      ledger.close();
      fake.stop();
    }
  }, 120_000);
});

describe('a real key custodian under hostile coordinator frames', () => {
  it(`${PER_RPC} frames on one stream: each malformed one refused PROTOCOL_VIOLATION, no key made, nothing decrypted`, async () => {
    const fake = new RawFrameServer(CustodianGatewayService.connect.path);
    const at = await fake.start();
    const keys = new KeyCustodian({ stateDir: join(root, 'custodian-state'), minContributors: 2, log });
    const connection = new CustodianConnection({ address: at, tls: { caPem: custodianKit.tls.ca, certPem: custodianKit.tls.cert, keyPem: custodianKit.tls.key, serverName: 'localhost' }, log, endorser: custodianEndorser(custodianKit) }, keys);
    const counts = (): [number, number] => {
      const db = new Database(join(root, 'custodian-state', 'custodian.sqlite'), { readonly: true });
      try {
        return [(db.prepare('SELECT COUNT(*) AS n FROM keys').get() as { n: number }).n, (db.prepare('SELECT COUNT(*) AS n FROM decryptions').get() as { n: number }).n];
      } finally {
        db.close();
      }
    };
    try {
      connection.start();
      await fake.until(() => fake.received.length > 0, 'the custodian hello');
      fake.write(CustodianRequest.encode({ seq: 1, requestId: 0, body: { $case: 'welcome', value: { custodianId: 'custodian', coordinatorId: 'fake' } } }).finish());
      const before = counts();
      const valid = [
        CustodianRequest.encode({ seq: 2, requestId: 10, body: { $case: 'heartbeat', value: { unixMs: 1 } } }).finish(),
        CustodianRequest.encode({ seq: 3, requestId: 11, body: { $case: 'keyRequest', value: { studyId: 'ghost', params: { polyModulusDegree: 1000, plainModulusBits: 3 }, minContributors: 0, spec: undefined, parties: [] } } }).finish(),
        CustodianRequest.encode({ seq: 4, requestId: 12, body: { $case: 'decrypt', value: { keyId: 'no-such-key', roundId: 'r', contributors: ['a', 'b'], threshold: 2, vectorLength: 4, ciphertexts: [Buffer.alloc(64, 3)], chunkIndex: 0, chunkCount: 1, ciphertextCount: 1, digest: Buffer.alloc(32), maxReplyChunkBytes: 0, chargeKey: 'r/0/q' } } }).finish(),
      ];
      const tally = new Tally();
      let k = 0;
      for (const f of hostileFrames('custodian', valid, PER_RPC)) {
        const from = fake.received.length;
        const refusedBefore = connection.refusedFrames.total;
        fake.write(f.bytes);
        const marker = 1_000_000 + k++;
        fake.write(CustodianRequest.encode({ seq: 5, requestId: marker, body: { $case: 'heartbeat', value: { unixMs: 2 } } }).finish());
        await fake.until(() => fake.received.slice(from).some((b) => CustodianMessage.decode(b).requestId === marker), `the heartbeat ${marker}`);
        const answers = fake.received.slice(from).map((b) => CustodianMessage.decode(b)).filter((m) => m.requestId !== marker);
        const malformed = answers.filter((m) => m.body?.$case === 'refusal' && m.requestId === 0);
        if (!decodes(CustodianRequest.decode, f.bytes)) {
          tally.add(f.kind, 'malformed');
          tally.malformed++;
          expect(malformed.length, f.kind).toBe(1);
          expect(malformed[0].body?.$case === 'refusal' && malformed[0].body.value.code).toBe(ErrorCode.ProtocolViolation);
        } else {
          tally.add(f.kind, 'decoded');
          // Decoded: answered (a reply or a typed refusal) or refused and counted, never ignored silently.
          const refused = connection.refusedFrames.total > refusedBefore;
          tally.add(f.kind, refused ? 'refused' : answers.length > 0 ? 'answered' : 'silent');
          expect(refused || answers.length > 0, `${f.kind} frame (${CustodianRequest.decode(f.bytes).body?.$case ?? 'no body'}) ignored silently`).toBe(true);
        }
        for (const m of answers) expect(m.body?.$case, f.kind).not.toBe('decrypted');
      }
      expect(fake.connections, tally.toString()).toBe(1);
      expect(tally.malformed, tally.toString()).toBeGreaterThan(PER_RPC / 4);
      expect(counts()).toEqual(before);
    } finally {
      connection.stop();
      await keys.close();
      fake.stop();
    }
  }, 120_000);
});
