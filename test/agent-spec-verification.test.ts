// A real PartyAgent (in process) against a scripted coordinator over mTLS on 127.0.0.1: the agent
// verifies rho, its own sensitivity k and floors, caps the study at what it approved, binds its
// decision to the spec hash, and encrypts only under a custodian-endorsed HE key (issue 16, findings
// 2, 3 and 4). Every refusal is typed, audited, and nothing is charged or sent.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { planDistributedGaussian } from '../shared/dp/distributed/planDistributedGaussian.js';
import { domainHash } from '../shared/study/domainHash.js';
import { studySpecHash } from '../platform/wire/studySpecHash.js';
import { studySpecFromWire } from '../platform/wire/studySpecWire.js';
import { localQueryLength, type LocalQuery } from '../shared/synth/LocalQuery.js';
import { silentLogger } from '../platform/logging/logging.js';
import { X509Certificate } from 'node:crypto';
import { initCa, openCa } from '../platform/pki/CertificateAuthority.js';
import { loadTrust, type Trust } from '../platform/pki/loadTrust.js';
import { signerVerifier } from '../platform/pki/peerIdentityFromCertificate.js';
import { revokeCertificate } from '../platform/pki/revokeCertificate.js';
import { HeCustodian } from '../shared/he/HeCustodian.js';
import { signHeKey } from '../shared/he/heKeyEndorsement.js';
import { heParamsOfRound } from '../platform/wire/heWire.js';
import { issueKit } from '../platform/pki/issueKit.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { PartyAgent } from '../party-agent/PartyAgent.js';
import { BudgetLedger } from '../party-agent/ledger/BudgetLedger.js';
import type { AgentPolicy } from '../party-agent/policy/StudyPolicy.js';
import { Aggregation, Mechanism, RoundRequest, StudySpec, type AgentMessage, type ComputeStage } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { FakeCoordinator } from './support/FakeCoordinator.js';
import { runMain } from './support/captureCli.js';
import { computeQueryFields } from '../platform/wire/localQueryWire.js';
import { computeStageFromWire } from '../platform/wire/computeStageWire.js';
import { releaseRho } from '../party-agent/rounds/releaseRho.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-spec-verification-'));
const domain = new Domain(['a', 'b'], [4, 3]);
const PARTY = 'hospital-a';
const DELTA = 1e-9;
const log = silentLogger();
let fake: FakeCoordinator;
let partyKit: ReturnType<typeof loadKit>;
let trust: Trust;

const basePolicy: AgentPolicy = { allowedColumns: '*', maxEpsilonPerStudy: 4, maxDeltaPerStudy: 1e-6, allowedMechanisms: ['mst'], minParties: 2, autoApprove: true, allowPlainAggregation: true };

/** An agent under test: its audit events, its ledger (policy cap: epsilon 4) and a clean stop. */
interface Running {
  agent: PartyAgent;
  ledger: BudgetLedger;
  events: { event: string; details: Record<string, unknown> }[];
  stateDir: string;
  stop(): Promise<void>;
}

async function startAgent(name: string, policy: AgentPolicy, agentTrust: Trust = trust): Promise<Running> {
  const stateDir = join(root, 'agents', name);
  mkdirSync(stateDir, { recursive: true });
  const ledger = new BudgetLedger(join(stateDir, 'ledger.sqlite'), { perStudyRho: rhoFromEpsilon(policy.maxEpsilonPerStudy, DELTA), lifetimeRho: 100 });
  const events: Running['events'] = [];
  const rows = ['a,b', ...Array.from({ length: 40 }, (_, i) => `${i % 4},${i % 3}`)].join('\n') + '\n';
  const agent = new PartyAgent({
    coordinatorAddress: `127.0.0.1:${fake.port}`,
    tls: { caPem: partyKit.tls.ca, certPem: partyKit.tls.cert, keyPem: partyKit.tls.key, serverName: 'localhost' },
    domain,
    source: new InMemoryMarginalSource(EncodedTable.fromCsv(rows, domain)),
    policy,
    stateDir,
    ledger: { charge: (r) => void ledger.charge(r) },
    noiseRng: seededRandomSource('spec-verification', `noise/${name}`),
    log,
    audit: (event, details) => events.push({ event, details }),
    secagg: {
      partyId: PARTY,
      signingSecretKey: partyKit.sodiumSigningSecretKey,
      certificate: new Uint8Array(new X509Certificate(partyKit.certPem).raw),
      verifyPeer: signerVerifier(agentTrust),
    },
    secaggRng: seededRandomSource('spec-verification', `secagg/${name}`),
  });
  const before = fake.received.length;
  agent.start();
  await until(() => fake.received.slice(before).some((m) => m.body?.$case === 'hello'), 'the agent to connect');
  return {
    agent,
    ledger,
    events,
    stateDir,
    stop: async () => {
      await agent.stop();
      ledger.close();
    },
  };
}

async function until(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function spec(studyId: string, over: Partial<StudySpec> = {}): StudySpec {
  return StudySpec.fromPartial({
    studyId,
    mechanism: Mechanism.MECHANISM_MST,
    epsilon: 1,
    delta: DELTA,
    rho: rhoFromEpsilon(1, DELTA),
    columns: [...domain.attrs],
    domain: domain.attrs.map((n, i) => ({ name: n, size: domain.shape[i] })),
    aggregation: Aggregation.AGGREGATION_PLAIN,
    minParties: 2,
    syntheticRows: 10,
    domainHash: domainHash(domain),
    maxSilosPerIndividual: 1,
    ...over,
  });
}

const PARTIES = [PARTY, 'hospital-b'];

/** Announces and returns the agent's decision message for `s`. */
async function announce(s: StudySpec, parties = PARTIES): Promise<{ approved: boolean; reason: string }> {
  const before = fake.received.length;
  fake.send({ $case: 'studyAnnouncement', value: { spec: s, parties } });
  const m = await fake.waitFor((x) => fake.received.indexOf(x) >= before && x.body?.$case === 'studyDecision' && x.body.value.studyId === s.studyId, 20_000);
  if (m.body?.$case !== 'studyDecision') throw new Error('unreachable');
  return { approved: m.body.value.approved, reason: m.body.value.reason };
}

const query: LocalQuery = { kind: 'marginals', attrSets: [['a', 'b']] };

/** A plain compute round for `studyId` with `rho`, and the per-party variance planned with k. */
function compute(studyId: string, key: string, rho: number, k: number): ComputeStage {
  const plan = planDistributedGaussian({ rho, l2Sensitivity: k, parties: 2, colluders: 0, dropouts: 0 });
  return {
    ...computeQueryFields(query, domain),
    rho,
    perPartySigma2: plan.perPartySigma2,
    chargeKey: `${studyId}/${key}`,
    label: key,
    vectorLength: localQueryLength(query, domain),
    aggregation: Aggregation.AGGREGATION_PLAIN,
    participants: PARTIES,
    threshold: 2,
    modulusBits: 32,
    hePublicKey: Buffer.alloc(0),
    heKeyEndorsement: undefined,
    neighbours: 0,
    maxChunkBytes: 0,
  };
}

/** Sends one compute round; resolves with the refusal code, or 'released'. */
async function round(studyId: string, roundId: string, c: ComputeStage): Promise<string> {
  fake.send({ $case: 'roundRequest', value: RoundRequest.fromPartial({ studyId, roundId, stage: { $case: 'compute', value: c } }) });
  const m: AgentMessage = await fake.waitFor((x) => x.body?.$case === 'roundReply' && x.body.value.roundId === roundId, 20_000);
  const stage = m.body?.$case === 'roundReply' ? m.body.value.stage : undefined;
  return stage?.$case === 'refusal' ? stage.value.code : stage?.$case === 'plain' || stage?.$case === 'heCiphertexts' ? 'released' : String(stage?.$case);
}

beforeAll(async () => {
  const ca = await initCa(join(root, 'ca'), { consortium: 'spec-verification' });
  await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:1', out: join(root, 'kits', 'coordinator'), hosts: ['127.0.0.1', 'localhost'] });
  await issueKit(ca, { role: 'party', id: PARTY, coordinator: '127.0.0.1:1', out: join(root, 'kits', PARTY) });
  partyKit = loadKit(join(root, 'kits', PARTY));
  trust = await loadTrust(join(root, 'ca'));
  fake = new FakeCoordinator(join(root, 'kits', 'coordinator'), PARTY);
  await fake.start();
}, 60_000);

afterAll(() => {
  fake?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('the agent converts (epsilon, delta) itself (finding 3)', () => {
  it('refuses a spec whose rho is not its own conversion: SPEC_RHO_MISMATCH, audited, no round answered, nothing charged', async () => {
    const a = await startAgent('rho', basePolicy);
    try {
      const inflated = spec('rho-inflated', { rho: 9 * rhoFromEpsilon(1, DELTA) });
      const d = await announce(inflated);
      expect(d.approved).toBe(false);
      expect(d.reason).toContain(ErrorCode.SpecRhoMismatch);
      expect(a.events.find((e) => e.event === 'study.decision')?.details).toMatchObject({ studyId: 'rho-inflated', decision: 'refuse', codes: [ErrorCode.SpecRhoMismatch] });
      // The coordinator ignores the refusal and asks anyway.
      expect(await round('rho-inflated', 'rho-inflated/r0', compute('rho-inflated', 'm0', 0.5, 1))).toBe(ErrorCode.PolicyRefused);
      expect(a.ledger.list()).toHaveLength(0);
    } finally {
      await a.stop();
    }
  });

  it('caps the study at the rho it approved, not at the policy maximum (epsilon 1 approved, policy allows 4)', async () => {
    const a = await startAgent('cap', basePolicy);
    try {
      const s = spec('capped');
      expect((await announce(s)).approved).toBe(true);
      const approvedRho = rhoFromEpsilon(1, DELTA);
      const first = compute('capped', 'm0', 0.6 * approvedRho, 1);
      expect(await round('capped', 'capped/r0', first)).toBe('released');
      // 1.2 x what it approved, well within the policy's per-study cap (rho of epsilon 4). In plain mode
      // both the charge and the cap are the plain exposure (releaseRho / releaseCapRho, about n - f - d
      // times the round's rho), so the ratio is the same.
      expect(await round('capped', 'capped/r1', compute('capped', 'm1', 0.6 * approvedRho, 1))).toBe(ErrorCode.BudgetExceeded);
      expect(a.ledger.spent('capped')).toBeCloseTo(releaseRho(computeStageFromWire(first), 1), 15);
      expect(releaseRho(computeStageFromWire(first), 1)).toBeGreaterThan(0.6 * approvedRho);
      expect(a.events.filter((e) => e.event === 'round.refused').map((e) => e.details.code)).toEqual([ErrorCode.BudgetExceeded]);
    } finally {
      await a.stop();
    }
  });
});

describe('the agent reads the announced spec at its edge (issue 17 item 3)', () => {
  it('an UNSPECIFIED mechanism or aggregation is refused with INVALID_ARGUMENT naming the field, audited, nothing stored; never read as MST or masking', async () => {
    const a = await startAgent('unspecified', { ...basePolicy, allowedMechanisms: ['mst', 'aim'] });
    try {
      const cases: [string, Partial<StudySpec>, string][] = [
        ['no-mechanism', { mechanism: Mechanism.MECHANISM_UNSPECIFIED }, 'spec.mechanism'],
        ['no-aggregation', { aggregation: Aggregation.AGGREGATION_UNSPECIFIED }, 'spec.aggregation'],
        ['unknown-aggregation', { aggregation: 9 as Aggregation }, 'spec.aggregation'],
      ];
      for (const [studyId, over, field] of cases) {
        const d = await announce(spec(studyId, over));
        expect(d.approved).toBe(false);
        expect(d.reason).toContain(`${ErrorCode.InvalidArgument}: ${field}`);
        expect(a.events.find((e) => e.event === 'study.decision' && e.details.studyId === studyId)?.details).toMatchObject({ decision: 'refuse', codes: [ErrorCode.InvalidArgument], field });
        expect(a.agent.store.study(studyId)).toBeUndefined();
      }
      // The same study with its enums set is read and joined.
      expect((await announce(spec('no-mechanism'))).approved).toBe(true);
    } finally {
      await a.stop();
    }
  });
});

describe("the agent's own sensitivity and floors (findings 2 and 3)", () => {
  it('an agent with maxSilosPerIndividual 3 refuses a study planned with k = 1: SPEC_BELOW_PARTY_TERMS, audited', async () => {
    const a = await startAgent('k3', { ...basePolicy, maxSilosPerIndividual: 3 });
    try {
      const d = await announce(spec('k-one', { maxSilosPerIndividual: 1 }));
      expect(d.approved).toBe(false);
      expect(d.reason).toMatch(/SPEC_BELOW_PARTY_TERMS: the study assumes max_silos_per_individual = 1; this party requires at least 3/);
      expect(a.events.find((e) => e.event === 'study.decision')?.details).toMatchObject({ decision: 'refuse', codes: [ErrorCode.SpecBelowPartyTerms] });
      // A study planned with k = 3 is joined.
      expect((await announce(spec('k-three', { maxSilosPerIndividual: 3 }))).approved).toBe(true);
    } finally {
      await a.stop();
    }
  });

  it('floors: colluders and dropouts below the agent\'s minimums are refused, each named', async () => {
    const a = await startAgent('floors', { ...basePolicy, minColluders: 1, minDropouts: 1 });
    try {
      const d = await announce(spec('floors-zero'));
      expect(d.approved).toBe(false);
      expect(d.reason).toContain('colluders = 0; this party requires at least 1');
      expect(d.reason).toContain('dropouts = 0; this party requires at least 1');
      expect((await announce(spec('floors-met', { colluders: 1, dropouts: 1 }), [PARTY, 'hospital-b', 'hospital-c', 'hospital-d'])).approved).toBe(true);
    } finally {
      await a.stop();
    }
  });

  it('rounds use max(own k, study k): after the agent raises k to 3, a round sized for k = 1 (true rho 9x the charge) is refused uncharged', async () => {
    const first = await startAgent('raised', basePolicy);
    expect((await announce(spec('raised-k'))).approved).toBe(true);
    expect(await round('raised-k', 'raised-k/r0', compute('raised-k', 'm0', 0.002, 1))).toBe('released');
    await first.stop();
    const a = await startAgent('raised', { ...basePolicy, maxSilosPerIndividual: 3 });
    try {
      // Sized for k = 1: 1/9 of the variance k = 3 needs.
      expect(await round('raised-k', 'raised-k/r1', compute('raised-k', 'm1', 0.002, 1))).toBe(ErrorCode.ProtocolViolation);
      expect(a.ledger.list().map((c) => c.idempotencyKey)).toEqual(['raised-k/m0']);
      expect(a.events.filter((e) => e.event === 'round.refused').map((e) => e.details.code)).toEqual([ErrorCode.ProtocolViolation]);
      // Sized for k = 3: released.
      expect(await round('raised-k', 'raised-k/r2', compute('raised-k', 'm2', 0.002, 3))).toBe('released');
    } finally {
      await a.stop();
    }
  });
});

describe('approval is bound to the reviewed spec hash (finding 3)', () => {
  it('a changed re-announcement while pending or after approval is refused (SPEC_CHANGED, audited); approve needs the hash', async () => {
    const a = await startAgent('manual', { ...basePolicy, autoApprove: false });
    try {
      const reviewed = spec('bound');
      fake.send({ $case: 'studyAnnouncement', value: { spec: reviewed, parties: PARTIES } });
      await until(() => a.events.some((e) => e.event === 'study.decision' && e.details.studyId === 'bound'), 'the pending decision');
      const hash = studySpecHash(studySpecFromWire(reviewed), PARTIES);
      const listed = JSON.parse((await runMain(['agent', 'studies', '--state', a.stateDir])).out.trim()) as Record<string, unknown>;
      expect(listed).toMatchObject({ studyId: 'bound', decision: 'pending', specHash: hash, mechanism: 'mst', aggregation: 'plain', rho: reviewed.rho });

      // While pending: the coordinator swaps in epsilon 4 (within this party's policy).
      const changed = spec('bound', { epsilon: 4, rho: rhoFromEpsilon(4, DELTA) });
      const sentBefore = fake.received.length;
      fake.send({ $case: 'studyAnnouncement', value: { spec: changed, parties: PARTIES } });
      const err = await fake.waitFor((m) => fake.received.indexOf(m) >= sentBefore && m.body?.$case === 'error', 20_000);
      expect(err.body?.$case === 'error' && err.body.value.code).toBe(ErrorCode.SpecChanged);
      expect(a.events.find((e) => e.event === 'study.respec_refused')?.details).toMatchObject({ studyId: 'bound', code: ErrorCode.SpecChanged, known: hash, decision: 'pending' });
      expect(a.agent.store.study('bound')?.decision).toBe('pending');

      // Approval with the hash of another spec is refused; with the reviewed hash it is recorded.
      const wrong = await runMain(['agent', 'approve', 'bound', '--state', a.stateDir, '--spec-hash', studySpecHash(studySpecFromWire(changed), PARTIES)]);
      expect(wrong.code).not.toBe(0);
      expect(wrong.err).toContain(ErrorCode.SpecChanged);
      expect((await runMain(['agent', 'approve', 'bound', '--state', a.stateDir])).code).not.toBe(0); // --spec-hash is required
      expect(a.agent.store.study('bound')?.decision).toBe('pending');
      expect((await runMain(['agent', 'approve', 'bound', '--state', a.stateDir, '--spec-hash', hash])).code).toBe(0);
      await fake.waitFor((m) => m.body?.$case === 'studyDecision' && m.body.value.studyId === 'bound' && m.body.value.approved, 20_000);

      // After approval: the changed spec is refused again, and rounds stay capped at epsilon 1's rho.
      fake.send({ $case: 'studyAnnouncement', value: { spec: changed, parties: [PARTY, 'hospital-b', 'hospital-c'] } });
      await until(() => a.events.filter((e) => e.event === 'study.respec_refused').length === 2, 'the second refusal');
      expect(a.events.filter((e) => e.event === 'study.respec_refused')[1].details).toMatchObject({ decision: 'approved', code: ErrorCode.SpecChanged });
      expect(await round('bound', 'bound/r0', compute('bound', 'm0', 2 * rhoFromEpsilon(1, DELTA), 1))).toBe(ErrorCode.ProtocolViolation);
      expect(a.ledger.list()).toHaveLength(0);
    } finally {
      await a.stop();
    }
  });
});

describe('the HE public key must be endorsed by the consortium custodian (finding 4)', () => {
  it('refuses a key the coordinator chose, signed by a party, by another CA\'s or a revoked custodian: HE_KEY_UNAUTHENTICATED before any charge', async () => {
    const ca = await openCa(join(root, 'ca'));
    await issueKit(ca, { role: 'custodian', id: 'custodian', coordinator: '127.0.0.1:1', out: join(root, 'kits', 'custodian') });
    await issueKit(ca, { role: 'custodian', id: 'old-custodian', coordinator: '127.0.0.1:1', out: join(root, 'kits', 'old-custodian') });
    await issueKit(ca, { role: 'party', id: 'mallory', coordinator: '127.0.0.1:1', out: join(root, 'kits', 'mallory') });
    await revokeCertificate(await openCa(join(root, 'ca')), { id: 'old-custodian', role: 'custodian', reason: 'keyCompromise' });
    const other = await initCa(join(root, 'other-ca'), { consortium: 'elsewhere' });
    await issueKit(other, { role: 'custodian', id: 'custodian', coordinator: '127.0.0.1:1', out: join(root, 'kits', 'foreign-custodian') });
    const { params } = heParamsOfRound(32);
    const realKey = await HeCustodian.create(params, 1);
    const coordinatorsKey = await HeCustodian.create(params, 1);
    const studyId = 'he-study';
    /** An HE compute stage for `key`, endorsed with `kitName`'s signing key and certificate. */
    /** The spec hash of the HE study as this agent approved it (its decision audit names it). */
    let approvedHash = '';
    const heCompute = async (chargeKey: string, key: HeCustodian, kitName: string | undefined, specHash = approvedHash): Promise<ComputeStage> => {
      const c = { ...compute(studyId, chargeKey, 0.001, 1), aggregation: Aggregation.AGGREGATION_HE, hePublicKey: Buffer.from(key.publicKey()) };
      if (!kitName) return c;
      const kit = loadKit(join(root, 'kits', kitName));
      const signature = await signHeKey({ studyId, keyId: `${studyId}#k`, params, minContributors: 2, publicKey: c.hePublicKey, specHash }, kit.sodiumSigningSecretKey);
      const certificate = new Uint8Array(new X509Certificate(kit.certPem).raw);
      return { ...c, heKeyEndorsement: { keyId: `${studyId}#k`, minContributors: 2, signature: Buffer.from(signature), custodianCertificate: Buffer.from(certificate), specHash } };
    };
    const a = await startAgent('he', basePolicy, await loadTrust(join(root, 'ca')));
    try {
      expect((await announce(spec(studyId, { aggregation: Aggregation.AGGREGATION_HE }))).approved).toBe(true);
      approvedHash = String(a.events.find((e) => e.event === 'study.decision' && e.details.studyId === studyId)?.details.specHash);
      expect(approvedHash).toMatch(/^sha256:[0-9a-f]{64}$/);
      const forged: [string, ComputeStage][] = [
        ['no endorsement', await heCompute('m1', realKey, undefined)],
        ["the coordinator's key signed by a party certificate", await heCompute('m2', coordinatorsKey, 'mallory')],
        ["the coordinator's key under the custodian's endorsement of the real key", { ...(await heCompute('m3', realKey, 'custodian')), hePublicKey: Buffer.from(coordinatorsKey.publicKey()) }],
        ['a custodian of another CA', await heCompute('m4', coordinatorsKey, 'foreign-custodian')],
        ['a revoked custodian', await heCompute('m5', coordinatorsKey, 'old-custodian')],
        // The real custodian's key, made (and its t derived) for a spec this party never approved.
        ['the custodian key of another version of the study', await heCompute('m7', realKey, 'custodian', 'sha256:' + '0'.repeat(64))],
      ];
      for (const [i, [what, c]] of forged.entries()) {
        expect(await round(studyId, `${studyId}/r${i}`, c), what).toBe(ErrorCode.HeKeyUnauthenticated);
      }
      expect(a.ledger.list()).toHaveLength(0);
      expect(a.agent.store.release(`${studyId}/m1`)).toBeUndefined();
      expect(a.events.filter((e) => e.event === 'round.refused').map((e) => e.details.code)).toEqual(forged.map(() => ErrorCode.HeKeyUnauthenticated));
      // The custodian's own endorsement of its key: charged once, encrypted, sent.
      expect(await round(studyId, `${studyId}/ok`, await heCompute('m6', realKey, 'custodian'))).toBe('released');
      expect(a.ledger.list().map((c) => c.idempotencyKey)).toEqual([`${studyId}/m6`]);
    } finally {
      await a.stop();
      realKey.dispose();
      coordinatorsKey.dispose();
    }
  }, 60_000);
});
