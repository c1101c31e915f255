// Attack suite (issue 16): an actively malicious coordinator — the real coordinator's gateway over mTLS
// gRPC on 127.0.0.1, driven by hand — tries each known way to learn more than the approved noisy sum
// from real PartyAgents; every attempt is refused with a typed error, audited, nothing extra charged or sent.
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { Domain } from '../shared/pgm/Domain.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import type { LocalQuery } from '../shared/synth/LocalQuery.js';
import { silentLogger } from '../platform/logging/logging.js';
import { peerIdentityFromCertificate } from '../platform/pki/peerIdentityFromCertificate.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { heParamsOfRound } from '../platform/wire/heWire.js';
import { signHeKey } from '../shared/he/heKeyEndorsement.js';
import { runMaskingRound } from '../coordinator/rounds/MaskingRound.js';
import type { RoundPlan } from '../coordinator/rounds/RoundPlan.js';
import type { AgentGateway } from '../coordinator/gateway/AgentGateway.js';
import { PartyUnavailableError, type AgentSession } from '../coordinator/gateway/AgentSession.js';
import { Aggregation, RoundRequest, type ComputeStage, type RoundReply, type StudySpec } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { CoordinatorDouble, honestCompute } from './support/CoordinatorDouble.js';
import { computeStageFromWire } from '../platform/wire/computeStageWire.js';

const domain = new Domain(['a', 'b', 'c'], [6, 5, 3]);
const query: LocalQuery = { kind: 'marginals', attrSets: [['a', 'b']] };
const N = 4;
/** The agents' own terms (agent config policy): k = 2 silos per person, at least 1 colluder assumed. */
const OWN_K = 2;
const OWN_COLLUDERS = 1;
const double = new CoordinatorDouble({ parties: N, rows: 200, domain, seed: 'active-coordinator', policy: { maxSilosPerIndividual: OWN_K, minColluders: OWN_COLLUDERS, maxEpsilonPerStudy: 4 } });
const log = silentLogger();
const signingKeyOf = (der: Uint8Array): Uint8Array | undefined => peerIdentityFromCertificate(der).signingPublicKeyRaw;
let round = 0;

beforeAll(() => double.start(), 120_000);
afterAll(() => double.stop());

/** An honest spec for these agents (k and colluders at their own terms), epsilon 1 unless overridden. */
function honestSpec(studyId: string, over: Partial<StudySpec> = {}): StudySpec {
  const epsilon = over.epsilon ?? 1;
  return double.spec(studyId, { epsilon, rho: rhoFromEpsilon(epsilon, 1e-9), maxSilosPerIndividual: OWN_K, colluders: OWN_COLLUDERS, aggregation: Aggregation.AGGREGATION_MASKING, ...over });
}

/** A compute stage for `spec`'s study, its noise planned honestly with the study's terms. */
function compute(spec: StudySpec, rho: number, over: Partial<ComputeStage> = {}): ComputeStage {
  round += 1;
  const terms = { k: Math.max(1, spec.maxSilosPerIndividual), colluders: spec.colluders, dropouts: spec.dropouts };
  return honestCompute({ query, domain, rho, chargeKey: `${spec.studyId}/m${round}`, aggregation: spec.aggregation, participants: over.participants ?? double.partyIds, terms }, over);
}

/** What every party's ledger, audit and store look like now, to compare after an attack. */
function snapshot(d: CoordinatorDouble = double): { charges: number[]; refusals: number[] } {
  return { charges: d.partyIds.map((p) => d.charges(p).length), refusals: d.partyIds.map((p) => d.audits(p, 'round.refused').length) };
}

/** Asks every party `stage` (a round of `studyId`) and returns their replies. */
async function askAll(studyId: string, roundId: string, stage: ComputeStage, parties = double.partyIds, d: CoordinatorDouble = double): Promise<RoundReply[]> {
  return Promise.all(parties.map((p) => d.request(p, RoundRequest.fromPartial({ studyId, roundId, stage: { $case: 'compute', value: stage } }))));
}

function refusalCodes(replies: RoundReply[]): string[] {
  return replies.map((r) => (r.stage?.$case === 'refusal' ? r.stage.value.code : `sent ${r.stage?.$case}`));
}

/** Expects every party refused with `code` (nothing sent), audited once more each, and nothing charged. */
function expectRefusedEverywhere(replies: RoundReply[], code: string, before: ReturnType<typeof snapshot>, d: CoordinatorDouble = double): void {
  expect(refusalCodes(replies)).toEqual(d.partyIds.map(() => code));
  const after = snapshot(d);
  expect(after.charges).toEqual(before.charges);
  after.refusals.forEach((n, i) => expect(n, d.partyIds[i]).toBe(before.refusals[i] + 1));
  for (const p of d.partyIds) expect(d.audits(p, 'round.refused').at(-1)).toMatchObject({ code });
}

/** The decision each party recorded for `studyId` and the codes its audit gave for it. */
function decisions(studyId: string): { decision: string | undefined; codes: unknown }[] {
  return double.partyIds.map((p) => ({
    decision: double.agent(p).store.study(studyId)?.decision,
    codes: double.audits(p, 'study.decision').find((d) => d.studyId === studyId)?.codes,
  }));
}

/**
 * A gateway whose sessions pass every request through `tamper` first (the coordinator lying);
 * `undefined` from `tamper` drops the party at that stage (the coordinator claims it timed out).
 */
function tamperingGateway(tamper: (partyId: string, req: RoundRequest) => RoundRequest | undefined): AgentGateway {
  const real = double.consortium.coordinator.gateway;
  return {
    session: (id: string) => {
      const s = real.session(id);
      if (!s) return undefined;
      const wrapped = Object.create(s) as AgentSession;
      wrapped.request = (req, timeoutMs) => {
        const sent = tamper(id, req);
        return sent ? s.request(sent, timeoutMs) : Promise.reject(new PartyUnavailableError(id, 'dropped by the coordinator'));
      };
      return wrapped;
    },
  } as unknown as AgentGateway;
}

function maskingPlan(spec: StudySpec, label: string, stage: ComputeStage): RoundPlan {
  return { studyId: spec.studyId, roundId: `${spec.studyId}/${label}`, roundIndex: round, participants: [...stage.participants], timeoutMs: 30_000, compute: computeStageFromWire(stage) };
}

describe('an honest round is the positive control', () => {
  it('a masking round of an honest spec sums, charging each party once', async () => {
    const spec = honestSpec('honest');
    await double.announceAndWait(spec);
    const before = snapshot();
    const stage = compute(spec, 0.005);
    const out = await runMaskingRound(double.consortium.coordinator.gateway, maskingPlan(spec, 'r0', stage), log, signingKeyOf);
    expect(out.survivors).toHaveLength(N);
    expect(snapshot().charges).toEqual(before.charges.map((c) => c + 1));
  });
});

describe('finding 1: retry isolation (a re-run without party X to subtract)', () => {
  it('after a finished round, the same charge key under a new round id without X is refused ROUND_BINDING_MISMATCH by every other party', async () => {
    const spec = honestSpec('retry-new-round');
    await double.announceAndWait(spec);
    const stage = compute(spec, 0.005);
    const first = await runMaskingRound(double.consortium.coordinator.gateway, maskingPlan(spec, 'r0', stage), log, signingKeyOf);
    expect(first.survivors).toHaveLength(N);
    const [x, ...others] = double.partyIds;
    const before = snapshot();
    // The same charge key (the same noisy vectors), a new round id, X left out: sum - sum' = X's
    // vector. Everything else is honest for 3 participants (noise re-planned, t = 3).
    const retry = { ...compute(spec, 0.005, { participants: others, threshold: others.length }), chargeKey: stage.chargeKey, label: stage.label };
    const replies = await Promise.all(others.map((p) => double.request(p, RoundRequest.fromPartial({ studyId: spec.studyId, roundId: `${spec.studyId}/r0-again`, stage: { $case: 'compute', value: retry } }))));
    expect(refusalCodes(replies)).toEqual(others.map(() => ErrorCode.RoundBindingMismatch));
    expect(snapshot().charges).toEqual(before.charges);
    for (const p of others) expect(double.audits(p, 'round.refused').at(-1)).toMatchObject({ roundId: `${spec.studyId}/r0-again`, code: ErrorCode.RoundBindingMismatch });
    expect(double.audits(x, 'round.refused').length).toBe(before.refusals[0]);
  });

  it('the same round re-run with X dropped before the consistency check is refused SURVIVOR_SET_MISMATCH: no unmasking, nothing charged', async () => {
    // d = 1 lets a round go on with 3 of 4 (t = 3), so only the survivor-set binding stands in the way.
    const spec = honestSpec('retry-survivors', { dropouts: 1 });
    await double.announceAndWait(spec);
    const stage = compute(spec, 0.005, { threshold: N - 1 });
    const plan = maskingPlan(spec, 'r0', stage);
    expect((await runMaskingRound(double.consortium.coordinator.gateway, plan, log, signingKeyOf)).survivors).toHaveLength(N);
    const x = double.partyIds[0];
    const asked: string[] = [];
    const dropX = tamperingGateway((p, req) => {
      asked.push(`${p}:${req.stage?.$case}`);
      return p === x && req.stage?.$case === 'maskedInput' ? undefined : req;
    });
    const before = snapshot();
    const err = await runMaskingRound(dropX, plan, log, signingKeyOf).then(
      () => '',
      (e: Error) => e.message,
    );
    for (const p of double.partyIds.slice(1)) expect(err).toContain(`${p} ${ErrorCode.SurvivorSetMismatch}`);
    expect(asked.some((a) => a.endsWith(':unmask'))).toBe(false);
    expect(snapshot().charges).toEqual(before.charges);
  });
});

describe("finding 2: the coordinator's maxSilosPerIndividual below the agent's own", () => {
  it('a study planned with k = 1 is refused SPEC_BELOW_PARTY_TERMS by agents with k = 2; its rounds are refused, nothing charged', async () => {
    const spec = honestSpec('k-lowered', { maxSilosPerIndividual: 1 });
    await double.announceAndWait(spec, double.partyIds, false);
    for (const d of decisions(spec.studyId)) {
      expect(d.decision).toBe('refused');
      expect(d.codes).toEqual([ErrorCode.SpecBelowPartyTerms]);
    }
    const before = snapshot();
    expectRefusedEverywhere(await askAll(spec.studyId, `${spec.studyId}/r0`, compute(spec, 0.005)), ErrorCode.PolicyRefused, before);
  });
});

describe('finding 3: rho, floors and the study cap come from the agent', () => {
  it('rho inflated 9x over the approved (epsilon, delta): SPEC_RHO_MISMATCH at announcement, rounds refused', async () => {
    const spec = honestSpec('rho-inflated', { rho: 9 * rhoFromEpsilon(1, 1e-9) });
    await double.announceAndWait(spec, double.partyIds, false);
    for (const d of decisions(spec.studyId)) expect(d).toEqual({ decision: 'refused', codes: [ErrorCode.SpecRhoMismatch] });
    const before = snapshot();
    expectRefusedEverywhere(await askAll(spec.studyId, `${spec.studyId}/r0`, compute(spec, 0.05)), ErrorCode.PolicyRefused, before);
  });

  it('colluders below the agents floor (0 < 1): SPEC_BELOW_PARTY_TERMS at announcement', async () => {
    const spec = honestSpec('no-colluders', { colluders: 0 });
    await double.announceAndWait(spec, double.partyIds, false);
    for (const d of decisions(spec.studyId)) expect(d).toEqual({ decision: 'refused', codes: [ErrorCode.SpecBelowPartyTerms] });
  });

  it('rounds beyond the approved epsilon (within the policy maximum) are refused BUDGET_EXCEEDED, charging nothing more', async () => {
    const spec = honestSpec('over-cap', { aggregation: Aggregation.AGGREGATION_PLAIN });
    await double.announceAndWait(spec);
    const approved = rhoFromEpsilon(1, 1e-9);
    const first = await askAll(spec.studyId, `${spec.studyId}/r0`, compute(spec, 0.6 * approved));
    expect(refusalCodes(first).every((c) => c === 'sent plain')).toBe(true);
    const charged = (p: string) => double.charges(p).filter((c) => c.studyId === spec.studyId).reduce((s, c) => s + c.rho, 0);
    // Plain mode charges what the coordinator sees, one party's vector with its own noise share
    // (finding 6: about n - f - d times the round's rho), against the plain study's cap of
    // (n - f - d) times the approved rho; a second such round does not fit.
    const afterFirst = new Map(double.partyIds.map((p) => [p, charged(p)]));
    for (const p of double.partyIds) expect(afterFirst.get(p)!).toBeGreaterThan(0.6 * approved);
    const before = snapshot();
    expectRefusedEverywhere(await askAll(spec.studyId, `${spec.studyId}/r1`, compute(spec, 0.6 * approved)), ErrorCode.BudgetExceeded, before);
    for (const p of double.partyIds) expect(charged(p)).toBeCloseTo(afterFirst.get(p)!, 15);
  });

  it('a changed spec after approval (epsilon 1 -> 4) is refused SPEC_CHANGED, and rounds at the new rho still hit the old cap', async () => {
    const spec = honestSpec('respec', { aggregation: Aggregation.AGGREGATION_PLAIN });
    await double.announceAndWait(spec);
    const changed = honestSpec('respec', { epsilon: 4, aggregation: Aggregation.AGGREGATION_PLAIN });
    const respecs = () => double.partyIds.map((p) => double.audits(p, 'study.respec_refused').filter((d) => d.studyId === 'respec').length);
    double.announce(changed);
    await waitFor(() => respecs().every((n) => n === 1), 'every agent to refuse the changed spec');
    for (const p of double.partyIds) expect(double.agent(p).store.study('respec')?.decision).toBe('approved');
    const before = snapshot();
    // A round sized for epsilon 4 exceeds what was approved for epsilon 1.
    expectRefusedEverywhere(await askAll('respec', 'respec/r0', compute(changed, 0.05)), ErrorCode.ProtocolViolation, before);
  });
});

describe("finding 4: the HE public key is the custodian's", () => {
  /** `stage` with `publicKey` endorsed by the kit `signer` (its Ed25519 key and certificate) for `studyId`. */
  async function endorsed(stage: ComputeStage, studyId: string, publicKey: Buffer, signer: string): Promise<ComputeStage> {
    const kit = loadKit(join(double.consortium.dir, 'kits', signer));
    const keyId = `${studyId}#k`;
    const { params } = heParamsOfRound(stage.modulusBits);
    // (Each forgery below fails before the spec hash is compared; '' keeps them failing for their own reason.)
    const signature = await signHeKey({ studyId, keyId, params, minContributors: N, publicKey, specHash: '' }, kit.sodiumSigningSecretKey);
    return { ...stage, hePublicKey: publicKey, heKeyEndorsement: { keyId, minContributors: N, signature: Buffer.from(signature), custodianCertificate: Buffer.from(new X509Certificate(kit.certPem).raw), specHash: '' } };
  }

  it("the coordinator's own key, endorsed with its own certificate, or with none: HE_KEY_UNAUTHENTICATED before anything is charged", async () => {
    const spec = honestSpec('own-he-key', { aggregation: Aggregation.AGGREGATION_HE });
    await double.announceAndWait(spec);
    const ownKey = Buffer.alloc(2048, 7); // the coordinator's "public key" (it holds the secret)
    for (const stage of [await endorsed(compute(spec, 0.005), spec.studyId, ownKey, 'coordinator'), { ...compute(spec, 0.005), hePublicKey: ownKey }]) {
      const before = snapshot();
      expectRefusedEverywhere(await askAll(spec.studyId, `${spec.studyId}/r${round}`, stage), ErrorCode.HeKeyUnauthenticated, before);
    }
  });

  it("a custodian endorsement of another study's key (a wrong key for this study): HE_KEY_UNAUTHENTICATED", async () => {
    const spec = honestSpec('wrong-he-key', { aggregation: Aggregation.AGGREGATION_HE });
    await double.announceAndWait(spec);
    // Signed by the real custodian kit, but for study 'another-study': the signature does not cover this study.
    const stage = await endorsed(compute(spec, 0.005), 'another-study', Buffer.alloc(2048, 8), 'custodian');
    const before = snapshot();
    expectRefusedEverywhere(await askAll(spec.studyId, `${spec.studyId}/r${round}`, stage), ErrorCode.HeKeyUnauthenticated, before);
  });
});

describe('finding 5: survivor thresholds tied to the noise plan', () => {
  it('a masking round with t = f + 1 = 2, or t = n - d - 1 = 3, is refused THRESHOLD_BELOW_PLAN before any charge or key', async () => {
    const spec = honestSpec('low-threshold');
    await double.announceAndWait(spec);
    for (const t of [OWN_COLLUDERS + 1, N - 1]) {
      const before = snapshot();
      expectRefusedEverywhere(await askAll(spec.studyId, `${spec.studyId}/t${t}`, compute(spec, 0.005, { threshold: t })), ErrorCode.ThresholdBelowPlan, before);
    }
  });

  it('a SecAgg+ graph whose honest survivors can be cut apart (k = 2 < f + (n - t) + 1 = 3) is refused UNSAFE_NEIGHBOURHOOD before any charge', async () => {
    const spec = honestSpec('sparse-graph', { dropouts: 1 });
    await double.announceAndWait(spec);
    const before = snapshot();
    expectRefusedEverywhere(await askAll(spec.studyId, `${spec.studyId}/k2`, compute(spec, 0.005, { threshold: N - 1, neighbours: 2 })), ErrorCode.UnsafeNeighbourhood, before);
  });
});

describe('finding 6: plain mode charges what it reveals', () => {
  it("a plain round is charged Delta^2 / (2 sigma_p^2) for the party's own share (about (n - f - d) rho), not the round's rho", async () => {
    const spec = honestSpec('plain-charge', { aggregation: Aggregation.AGGREGATION_PLAIN });
    await double.announceAndWait(spec);
    const rho = 0.002;
    const stage = compute(spec, rho);
    const before = double.partyIds.map((p) => double.charges(p).length);
    const replies = await askAll(spec.studyId, `${spec.studyId}/r0`, stage);
    expect(refusalCodes(replies).every((c) => c === 'sent plain')).toBe(true);
    // Delta = k * sqrt(1 attribute set) = 2; the coordinator sees N_Z(0, sigma_p^2) around one party's counts.
    const revealed = (OWN_K * OWN_K) / (2 * stage.perPartySigma2);
    expect(revealed).toBeGreaterThan(2.9 * rho); // n - f - d = 3 honest shares were planned
    double.partyIds.forEach((p, i) => {
      const charges = double.charges(p);
      expect(charges).toHaveLength(before[i] + 1);
      expect(charges.at(-1)!.rho).toBeCloseTo(revealed, 12);
    });
  });
});

describe("a round's aggregation mode is the approved study's", () => {
  it('a plain round (or an HE round) in a masking study is refused AGGREGATION_MODE_MISMATCH before any charge, nothing sent', async () => {
    // Plain would show the coordinator each party's vector with only its own noise share, bypassing
    // a policy that approved secure aggregation only (allowPlainAggregation: false). rho 0.001: the
    // plain exposure (about 3 rho) fits the study's cap, so only the mode check stands in the way.
    const spec = honestSpec('mode-switch');
    await double.announceAndWait(spec);
    for (const aggregation of [Aggregation.AGGREGATION_PLAIN, Aggregation.AGGREGATION_HE]) {
      const before = snapshot();
      expectRefusedEverywhere(await askAll(spec.studyId, `${spec.studyId}/r${round}`, compute(spec, 0.001, { aggregation })), ErrorCode.AggregationModeMismatch, before);
    }
  });
});

describe("the agent's own SecAgg+ floor (policy.minNeighbours) is checked before the charge", () => {
  // 8 parties, f = 0: k = 6 is safe (floor max(2 ceil(log2 8), 2) = 6) but below these agents' minNeighbours 8.
  const strict = new CoordinatorDouble({ parties: 8, rows: 50, domain, seed: 'active-coordinator-strict', policy: { minNeighbours: 8 } });
  beforeAll(() => strict.start(), 120_000);
  afterAll(() => strict.stop());

  it('a safe k = 6 below minNeighbours 8 is refused POLICY_REFUSED by every party, nothing charged, no key made', async () => {
    const spec = strict.spec('strict-k', { epsilon: 1, rho: rhoFromEpsilon(1, 1e-9), aggregation: Aggregation.AGGREGATION_MASKING });
    await strict.announceAndWait(spec);
    round += 1;
    const terms = { k: 1, colluders: 0, dropouts: 0 };
    const stage = honestCompute({ query, domain, rho: 0.005, chargeKey: `${spec.studyId}/m${round}`, aggregation: spec.aggregation, participants: strict.partyIds, terms }, { neighbours: 6 });
    const before = snapshot(strict);
    expectRefusedEverywhere(await askAll(spec.studyId, `${spec.studyId}/k6`, stage, strict.partyIds, strict), ErrorCode.PolicyRefused, before, strict);
  });
});

describe('replays and wrong keys', () => {
  it("a replayed stage of a finished masking round is refused OUT_OF_STEP by every party, nothing charged or revealed", async () => {
    const spec = honestSpec('replay');
    await double.announceAndWait(spec);
    const captured: RoundRequest[] = [];
    const recorder = tamperingGateway((_p, req) => {
      captured.push(req);
      return req;
    });
    const stage = compute(spec, 0.005);
    const out = await runMaskingRound(recorder, maskingPlan(spec, 'r0', stage), log, signingKeyOf);
    expect(out.survivors).toHaveLength(N);
    const unmasks = captured.filter((r) => r.stage?.$case === 'unmask');
    expect(unmasks).toHaveLength(N);
    const before = snapshot();
    const replies = await Promise.all(double.partyIds.map((p, i) => double.request(p, unmasks[(i + 1) % N])));
    expect(refusalCodes(replies)).toEqual(double.partyIds.map(() => ErrorCode.OutOfStep));
    expect(snapshot().charges).toEqual(before.charges);
  });

  it("a coordinator substituting its own key in a party's signed advertisement: every other party refuses BAD_SIGNATURE, no shares sent", async () => {
    const spec = honestSpec('wrong-key');
    await double.announceAndWait(spec);
    const victim = double.partyIds[0];
    const sharesSent: string[] = [];
    const mitm = tamperingGateway((partyId, req) => {
      if (req.stage?.$case !== 'shareKeys') return req;
      const keys = req.stage.value.keys.map((k) => (k.partyId === victim ? { ...k, cipherPublicKey: Buffer.alloc(32, 9) } : k));
      sharesSent.push(partyId);
      return { ...req, stage: { $case: 'shareKeys', value: { ...req.stage.value, keys } } };
    });
    const before = snapshot();
    const err = await runMaskingRound(mitm, maskingPlan(spec, 'r0', compute(spec, 0.005)), log, signingKeyOf).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(sharesSent).toHaveLength(N);
    for (const p of double.partyIds.filter((x) => x !== victim)) expect(err).toContain(`${p} ${ErrorCode.BadSignature}`);
    // Each party charged once for its (masked, never revealed) contribution; the others audited the refusal.
    expect(snapshot().charges).toEqual(before.charges.map((c) => c + 1));
    for (const [i, p] of double.partyIds.entries()) if (p !== victim) expect(snapshot().refusals[i]).toBe(before.refusals[i] + 1);
  });
});

async function waitFor(pred: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
