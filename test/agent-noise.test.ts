// End-to-end test of a real agent's own noise (PartyAgent over mTLS gRPC on 127.0.0.1): its released
// vectors carry the planned discrete Gaussian variance, and every refusal path of a round fires.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { Domain } from '../shared/pgm/Domain.js';
import { countMarginals } from '../shared/data/countMarginals.js';
import { planDistributedGaussian } from '../shared/dp/distributed/planDistributedGaussian.js';
import { decodeIntVector } from '../shared/wire/intVectorCodec.js';
import { localQueryLength, type LocalQuery } from '../shared/synth/LocalQuery.js';
import { Aggregation, RoundRequest, type ComputeStage, type RoundReply, type StudySpec } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { CoordinatorDouble, honestCompute } from './support/CoordinatorDouble.js';
import { computeQueryFields, rawQueryFields } from '../platform/wire/localQueryWire.js';

const domain = new Domain(['a', 'b', 'c'], [40, 25, 3]);
const query: LocalQuery = { kind: 'marginals', attrSets: [['a', 'b']] }; // 1000 cells
const cells = localQueryLength(query, domain);
const double = new CoordinatorDouble({ parties: 1, rows: 3000, domain }); // no seed: CSPRNG noise
let party = '';
let spec: StudySpec;
let round = 0;

/** A compute stage valid for the one-party plain study at `rho` (per-party sigma^2 = the agent's plan). */
function compute(rho: number, over: Partial<ComputeStage> = {}): ComputeStage {
  round += 1;
  const terms = { k: 1, colluders: 0, dropouts: 0 };
  return honestCompute({ query, domain, rho, chargeKey: `${spec.studyId}/m${round}`, aggregation: Aggregation.AGGREGATION_PLAIN, participants: [party], terms }, over);
}

function ask(stage: ComputeStage | undefined, studyId = spec.studyId): Promise<RoundReply> {
  const req = RoundRequest.fromPartial({ studyId, roundId: `${studyId}/r${round}`, roundIndex: round, stage: stage && { $case: 'compute', value: stage } });
  return double.request(party, req);
}

function released(reply: RoundReply): Int32Array | Float64Array {
  const st = reply.stage;
  if (st?.$case !== 'plain') throw new Error(`expected a plain contribution, got ${st?.$case === 'refusal' ? `${st.value.code}: ${st.value.message}` : st?.$case}`);
  return decodeIntVector(st.value.noisyVector, st.value.elementBits, cells);
}

beforeAll(async () => {
  await double.start();
  party = double.partyIds[0];
  spec = double.spec('noise-e2e');
  await double.announceAndWait(spec);
}, 120_000);

afterAll(() => double.stop());

/**
 * Two-sided critical values of a chi-square with k degrees of freedom at total level alpha, by the
 * Wilson-Hilferty transform (X/k)^(1/3) ~ N(1 - 2/(9k), 2/(9k)); its relative error in the quantile
 * is below 1e-4 for k >= 1000, far inside the +-5% band these bounds span at k = 20,000.
 */
function chiSquareBounds(k: number, z: number): [number, number] {
  const m = 1 - 2 / (9 * k);
  const s = Math.sqrt(2 / (9 * k));
  return [k * (m - z * s) ** 3, k * (m + z * s) ** 3];
}

/** z_{1 - alpha/2} for alpha = 1e-6 (standard normal quantile 1 - 5e-7 = 4.8916). */
const Z = 4.8916;

describe("a real agent's released noise", () => {
  const releases = 20;
  const rho = 0.005; // sensitivity 1, one party: sigma^2 = 1 / (2 rho) = 100

  it(`carries the planned discrete Gaussian variance over ${releases} releases of a fixed input (alpha = 2e-6)`, async () => {
    const exact = countMarginals(double.tables[0], domain, [['a', 'b']])[0];
    const sigma2 = planDistributedGaussian({ rho, l2Sensitivity: 1, parties: 1, colluders: 0, dropouts: 0 }).perPartySigma2;
    expect(sigma2).toBeCloseTo(100, 3);
    const before = double.charges(party).length;
    let sumSq = 0;
    let sum = 0;
    const vectors: string[] = [];
    for (let r = 0; r < releases; r++) {
      const noisy = released(await ask(compute(rho)));
      vectors.push(Buffer.from(noisy.buffer, noisy.byteOffset, noisy.byteLength).toString('base64'));
      for (let j = 0; j < cells; j++) {
        const e = noisy[j] - exact[j];
        sum += e;
        sumSq += e * e;
      }
    }
    // Each release is charged once, and fresh noise is drawn for each (no vector repeats).
    expect(double.charges(party).length - before).toBe(releases);
    expect(new Set(vectors).size).toBe(releases);
    const k = releases * cells;
    // H0: the k errors are iid N_Z(0, sigma^2). The discrete Gaussian's variance differs from sigma^2
    // by less than sigma^2 * 4 pi^2 sigma^2 exp(-2 pi^2 sigma^2) (Canonne-Kamath-Steinke 2020), i.e.
    // nothing at sigma^2 = 100, and its tails are sub-Gaussian, so T = sum e^2 / sigma^2 is chi-square
    // with k degrees of freedom and sum e / sqrt(k sigma^2) is standard normal (k = 20,000). Each test
    // is two-sided at alpha = 1e-6: 2e-6 false alarms for the pair (union bound). A quarter of the
    // variance gives T ~ k/4, thousands of standard deviations below the lower bound (0.952 k).
    const [lo, hi] = chiSquareBounds(k, Z);
    const t = sumSq / sigma2;
    expect(t, `sum of squared errors / sigma^2 = ${t.toFixed(0)} for k = ${k}`).toBeGreaterThan(lo);
    expect(t).toBeLessThan(hi);
    expect(Math.abs(sum) / Math.sqrt(k * sigma2)).toBeLessThan(Z);
  }, 120_000);

  it('the critical values reject a quarter and a double of the variance (planted in the statistic)', () => {
    const k = releases * cells;
    const [lo, hi] = chiSquareBounds(k, Z);
    expect(lo / k).toBeGreaterThan(0.94);
    expect(hi / k).toBeLessThan(1.06);
    expect(k / 4).toBeLessThan(lo);
    expect(2 * k).toBeGreaterThan(hi);
  });

  it('a retried charge key re-sends the same vector, charging nothing more', async () => {
    const stage = compute(rho);
    const first = released(await ask(stage));
    const charged = double.charges(party).length;
    const again = released(await ask(stage));
    expect(Array.from(again)).toEqual(Array.from(first));
    expect(double.charges(party).length).toBe(charged);
  });
});

describe('every refusal path of a compute round fires, charging and releasing nothing', () => {
  const rho = 0.002;

  /** Asks `stage` and expects a refusal with `code` and a message matching `why`, audited, nothing charged or recorded. */
  async function expectRefused(stage: ComputeStage | undefined, code: string, why: RegExp, studyId = spec.studyId): Promise<void> {
    const charges = double.charges(party).length;
    const refusalsBefore = double.audits(party, 'round.refused').length;
    const releasesBefore = double.audits(party, 'round.release').length;
    const reply = await ask(stage, studyId);
    expect(reply.stage?.$case).toBe('refusal');
    const refusal = reply.stage?.$case === 'refusal' ? reply.stage.value : undefined;
    expect(refusal?.code).toBe(code);
    expect(refusal?.message).toMatch(why);
    expect(double.charges(party).length).toBe(charges);
    const audited = double.audits(party, 'round.refused');
    expect(audited.length).toBe(refusalsBefore + 1);
    expect(audited.at(-1)).toMatchObject({ studyId, roundId: `${studyId}/r${round}`, code });
    expect(double.audits(party, 'round.release').length).toBe(releasesBefore);
    if (stage) expect(double.agent(party).store.release(stage.chargeKey)).toBeUndefined();
  }

  it('sigma^2 below what rho requires (and accepts it at exactly the plan)', async () => {
    const ok = compute(rho);
    await expectRefused({ ...compute(rho), perPartySigma2: ok.perPartySigma2 * (1 - 1e-6) }, ErrorCode.ProtocolViolation, /per_party_sigma2/);
    await expectRefused({ ...compute(rho), perPartySigma2: ok.perPartySigma2 / 4 }, ErrorCode.ProtocolViolation, /per_party_sigma2/);
    await expectRefused({ ...compute(rho), perPartySigma2: 0 }, ErrorCode.ProtocolViolation, /per_party_sigma2/);
    // Positive control: the boundary itself is accepted.
    expect(released(await ask(ok))).toHaveLength(cells);
  });

  it('rho that is not positive and finite, or above the study rho', async () => {
    for (const bad of [0, -0.01, Number.NaN, Number.POSITIVE_INFINITY, spec.rho * 1.01]) {
      await expectRefused({ ...compute(rho), rho: bad }, ErrorCode.ProtocolViolation, /compute\.rho/);
    }
  });

  it('a charge key outside the study', async () => {
    await expectRefused({ ...compute(rho), chargeKey: 'another-study/m1' }, ErrorCode.ProtocolViolation, /charge_key/);
  });

  it('a query that does not parse or does not fit the domain, and a vector length that does not match it', async () => {
    await expectRefused({ ...compute(rho), ...rawQueryFields(Buffer.from('{"kind": ')) }, ErrorCode.ProtocolViolation, /compute\.query/);
    const wider = new Domain([...domain.attrs, 'zz'], [...domain.shape, 2]);
    await expectRefused({ ...compute(rho), ...computeQueryFields({ kind: 'marginals', attrSets: [['zz']] }, wider) }, ErrorCode.ProtocolViolation, /compute\.query/);
    await expectRefused({ ...compute(rho), vectorLength: cells - 1 }, ErrorCode.ProtocolViolation, /vector_length/);
  });

  it('participants that exclude this party or outnumber the study', async () => {
    await expectRefused({ ...compute(rho), participants: ['someone-else'] }, ErrorCode.ProtocolViolation, /not among the round participants/);
    await expectRefused({ ...compute(rho), participants: [party, 'party-99'] }, ErrorCode.ProtocolViolation, /compute\.participants/);
  });

  it('a retried charge key that needs more noise than was released', async () => {
    const first = compute(rho);
    released(await ask(first));
    const plan = planDistributedGaussian({ rho: rho / 2, l2Sensitivity: 1, parties: 1, colluders: 0, dropouts: 0 });
    const retry = { ...compute(rho / 2), chargeKey: first.chargeKey, perPartySigma2: plan.perPartySigma2 };
    const charges = double.charges(party).length;
    const reply = await ask(retry);
    expect(reply.stage?.$case === 'refusal' && reply.stage.value.code).toBe(ErrorCode.ProtocolViolation);
    expect(reply.stage?.$case === 'refusal' && reply.stage.value.message).toMatch(/needs more noise/);
    expect(double.charges(party).length).toBe(charges);
  });

  it('an unknown study, a study this party has not approved, a missing stage, an unsupported aggregation', async () => {
    await expectRefused({ ...compute(rho), chargeKey: 'ghost/m1' }, ErrorCode.UnknownStudy, /unknown study/, 'ghost');
    const refused = double.spec('refused-by-policy', { epsilon: 50 });
    await double.announceAndWait(refused, [party], false);
    expect(double.agent(party).store.study(refused.studyId)?.decision).toBe('refused');
    await expectRefused({ ...compute(rho), chargeKey: `${refused.studyId}/m1` }, ErrorCode.PolicyRefused, /not approved/, refused.studyId);
    await expectRefused(undefined, ErrorCode.ProtocolViolation, /without a stage/);
    await expectRefused({ ...compute(rho), aggregation: Aggregation.AGGREGATION_UNSPECIFIED }, ErrorCode.ProtocolViolation, /not supported/);
    await expectRefused({ ...compute(rho), aggregation: 7 as Aggregation }, ErrorCode.ProtocolViolation, /compute\.aggregation: .*not supported/);
  });
});
