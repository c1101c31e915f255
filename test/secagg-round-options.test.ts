// Round options over real gRPC (LocalConsortium: coordinator and 8 PartyAgents over mTLS on
// 127.0.0.1): a SecAgg+ round with k = 6 neighbours sums exactly, every agent refuses a k below its
// safe minimum or its own policy.minNeighbours, and an HE contribution pulled in chunks sums exactly.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { planDistributedGaussian } from '../shared/dp/distributed/planDistributedGaussian.js';
import { localQueryLength, localQuerySensitivity, type LocalQuery } from '../shared/synth/LocalQuery.js';
import { domainHash } from '../shared/study/domainHash.js';
import { silentLogger } from '../platform/logging/logging.js';
import { LocalConsortium } from '../simulation/LocalConsortium.js';
import { peerIdentityFromCertificate } from '../platform/pki/peerIdentityFromCertificate.js';
import { runPlainRound } from '../coordinator/rounds/PlainRound.js';
import { maskingConfigOf, runMaskingRound } from '../coordinator/rounds/MaskingRound.js';
import { runHeRound } from '../coordinator/rounds/HeRound.js';
import type { RoundPlan } from '../coordinator/rounds/RoundPlan.js';
import type { AgentPolicy } from '../party-agent/policy/StudyPolicy.js';
import type { AgentGateway } from '../coordinator/gateway/AgentGateway.js';
import type { AgentSession } from '../coordinator/gateway/AgentSession.js';
import { completeSpec } from '../coordinator/operator/OperatorApi.js';
import { Aggregation, Mechanism, StudySpec } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { computeQueryFields } from '../platform/wire/localQueryWire.js';
import { queryDigest } from '../shared/wire/QueryChunks.js';
import { estimate } from '../shared/pgm/Estimation.js';
import { evaluateLocalQuery } from '../shared/synth/evaluateLocalQuery.js';
import { aggregationFromWire, studySpecFromWire } from '../platform/wire/studySpecWire.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-round-options-'));
const domain = new Domain(['a', 'b', 'c'], [80, 60, 3]);
const N = 8;
const studyId = 'round-options';
const log = silentLogger();
let consortium: LocalConsortium;

/** Party i's rows: deterministic codes from a seeded PRG. */
function silo(i: number): EncodedTable {
  const rng = seededRandomSource('round-options', `silo/${i}`);
  const rows = ['a,b,c'];
  for (let r = 0; r < 300; r++) rows.push(`${uniformInt(rng, 80)},${uniformInt(rng, 60)},${uniformInt(rng, 3)}`);
  return EncodedTable.fromCsv(rows.join('\n') + '\n', domain);
}

const signingKeyOf = (der: Uint8Array): Uint8Array | undefined => peerIdentityFromCertificate(der).signingPublicKeyRaw;

function plan(label: string, query: LocalQuery, aggregation: Aggregation, neighbours = 0, c: LocalConsortium = consortium): RoundPlan {
  const rho = 0.02; // plain rounds cost each of the 8 parties 8 rho (the coordinator sees its vector): 3 fit the cap
  const noise = planDistributedGaussian({ rho, l2Sensitivity: localQuerySensitivity(query), parties: N, colluders: 0, dropouts: 0 });
  const participants = [...c.partyIds];
  return {
    studyId,
    roundId: `${studyId}/${label}/${Aggregation[aggregation]}/${neighbours}`,
    roundIndex: 0,
    participants,
    timeoutMs: 60_000,
    compute: {
      ...computeQueryFields(query, domain),
      rho,
      perPartySigma2: noise.perPartySigma2,
      chargeKey: `${studyId}/${label}`, // the same key in every mode: agents re-send the same noisy vector
      label,
      vectorLength: localQueryLength(query, domain),
      aggregation: aggregationFromWire(aggregation),
      participants,
      threshold: N,
      modulusBits: 32,
      hePublicKey: Buffer.alloc(0),
      heKeyEndorsement: undefined,
      neighbours,
      maxChunkBytes: 0,
    },
  };
}

// The study is approved in masking mode; these agents' policy explicitly lets its rounds also run in
// plain and HE (the same charge key in every mode compares the sums); otherwise AGGREGATION_MODE_MISMATCH.
const policy: AgentPolicy = {
  allowedColumns: '*',
  maxEpsilonPerStudy: 10,
  maxDeltaPerStudy: 1e-6,
  allowedMechanisms: ['mst'],
  minParties: 1,
  autoApprove: true,
  allowPlainAggregation: true,
  extraRoundModes: { [studyId]: ['plain', 'he'] },
};

/** The study as last announced (the custodian derives its key's t from it; agents check its hash). */
let announced: { spec: ReturnType<typeof studySpecFromWire>; parties: string[] };

/** Starts N agents with `agentPolicy` and announces the study to them. */
async function startConsortium(dir: string, agentPolicy: AgentPolicy): Promise<LocalConsortium> {
  const c = new LocalConsortium({
    domain,
    sources: Array.from({ length: N }, (_, i) => new InMemoryMarginalSource(silo(i))),
    log,
    seed: 'round-options',
    policy: agentPolicy,
    ledgerRho: 100,
    workDir: join(root, dir),
  });
  await c.start();
  // Announce a study straight over the agents' streams (the rounds below are driven by hand).
  const spec = StudySpec.fromPartial({
    studyId,
    mechanism: Mechanism.MECHANISM_MST,
    // The agents convert (epsilon, delta) themselves and refuse any other rho (party-agent/verification).
    epsilon: 10,
    delta: 1e-9,
    rho: rhoFromEpsilon(10, 1e-9),
    columns: [...domain.attrs],
    domain: domain.attrs.map((name, i) => ({ name, size: domain.shape[i] })),
    aggregation: Aggregation.AGGREGATION_MASKING,
    minParties: 1,
    syntheticRows: 100,
    domainHash: domainHash(domain),
    maxSilosPerIndividual: 1,
  });
  for (const p of c.partyIds) c.coordinator.gateway.session(p)!.send({ $case: 'studyAnnouncement', value: { spec, parties: c.partyIds } });
  announced = { spec: studySpecFromWire(spec), parties: [...c.partyIds] };
  return c;
}

beforeAll(async () => {
  consortium = await startConsortium('consortium', policy);
}, 120_000);

afterAll(async () => {
  await consortium?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The plain sum of the noisy vectors released under `label` (retried until every agent approved). */
async function plainSum(label: string, query: LocalQuery, c: LocalConsortium = consortium): Promise<Float64Array> {
  for (let attempt = 0; ; attempt++) {
    const out = await runPlainRound(c.coordinator.gateway, plan(label, query, Aggregation.AGGREGATION_PLAIN, 0, c), log);
    if (out.survivors.length === N) return out.sum;
    if (attempt > 100) throw new Error(`plain round: ${out.refusals.map((r) => r.code).join(',')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('queries in chunks over gRPC', () => {
  // A selection query that carries a fitted model (LocalQuery `model`), sent in 200-byte chunks.
  const model = estimate(domain, [{ attrs: ['a', 'c'], values: new Float64Array(240).fill(10), stddev: 5 }, { attrs: ['b'], values: new Float64Array(60).fill(40), stddev: 5 }], { iters: 5 });
  const query: LocalQuery = { kind: 'conditionalL1Scores', candidates: [['a'], ['b'], ['a', 'b']], conditions: [['c'], [], ['c']], model: model.snapshot() };

  it('a query of many chunks is reassembled by every agent and answered (sum within 6 sigma of the exact sum, alpha ~ 2e-9 per entry)', async () => {
    const p = { ...plan('query-chunks', query, Aggregation.AGGREGATION_PLAIN), queryChunkBytes: 200 };
    expect(p.compute.query.length).toBeGreaterThan(2000); // >= 10 chunks
    const out = await runPlainRound(consortium.coordinator.gateway, p, log);
    expect(out.refusals).toEqual([]);
    expect(out.survivors).toHaveLength(N);
    const exact = new Float64Array(3);
    for (let i = 0; i < N; i++) {
      const v = await evaluateLocalQuery(query, new InMemoryMarginalSource(silo(i)), domain);
      for (let k = 0; k < 3; k++) exact[k] += v[k];
    }
    const sigma = Math.sqrt(N * p.compute.perPartySigma2);
    for (let k = 0; k < 3; k++) expect(Math.abs(out.sum[k] - exact[k])).toBeLessThan(6 * sigma);
  }, 60_000);

  it('a chunked query whose digest does not match is refused by every agent (PROTOCOL_VIOLATION)', async () => {
    const p = { ...plan('query-chunks-bad', query, Aggregation.AGGREGATION_PLAIN), queryChunkBytes: 200 };
    p.compute = { ...p.compute, querySha256: queryDigest(Buffer.from('another query')) };
    const out = await runPlainRound(consortium.coordinator.gateway, p, log);
    expect(out.survivors).toHaveLength(0);
    expect(out.refusals.map((r) => r.code)).toEqual(Array.from({ length: N }, () => ErrorCode.ProtocolViolation));
  }, 60_000);
});

describe('SecAgg+ neighbourhoods over gRPC', () => {
  const query: LocalQuery = { kind: 'marginals', attrSets: [['a', 'c']] };

  it('a round with k = 6 of 7 possible neighbours sums exactly (bit-identical to plain)', async () => {
    const expected = await plainSum('sparse', query);
    const p = plan('sparse', query, Aggregation.AGGREGATION_MASKING, 6);
    expect(maskingConfigOf({ roundId: p.roundId, ...p.compute }).neighbours).toBe(6);
    const out = await runMaskingRound(consortium.coordinator.gateway, p, log, signingKeyOf);
    expect(out.survivors).toHaveLength(N);
    expect(Array.from(out.sum)).toEqual(Array.from(expected));
  }, 60_000);

  it('every agent refuses k = 2 (below its safe minimum 6 for n = 8) before making any key', async () => {
    await plainSum('too-sparse', query);
    const p = plan('too-sparse', query, Aggregation.AGGREGATION_MASKING, 2);
    await expect(runMaskingRound(consortium.coordinator.gateway, p, log, signingKeyOf)).rejects.toThrow(/UNSAFE_NEIGHBOURHOOD/);
    await expect(runMaskingRound(consortium.coordinator.gateway, p, log, signingKeyOf)).rejects.toMatchObject({ code: ErrorCode.TooFewSurvivors });
  }, 60_000);
});

describe("an agent's own SecAgg+ floor (agent config policy.minNeighbours)", () => {
  const query: LocalQuery = { kind: 'marginals', attrSets: [['b', 'c']] };

  it('agents with minNeighbours 8 refuse the k = 6 round the default policy accepts, and still join the full graph', async () => {
    const strict = await startConsortium('strict', { ...policy, minNeighbours: 8 });
    try {
      const expected = await plainSum('strict', query, strict);
      // Planted fault: k = 6 is safe for n = 8 (the test above sums it), but below these agents' floor.
      const sparse = plan('strict', query, Aggregation.AGGREGATION_MASKING, 6, strict);
      const refused = await runMaskingRound(strict.coordinator.gateway, sparse, log, signingKeyOf).then(
        () => '',
        (e: Error) => e.message,
      );
      expect(refused).toMatch(/only 0 parties survived stage 'advertiseKeys'/);
      expect(refused.match(/party-\d+ POLICY_REFUSED/g)).toHaveLength(N);
      const full = await runMaskingRound(strict.coordinator.gateway, plan('strict', query, Aggregation.AGGREGATION_MASKING, 0, strict), log, signingKeyOf);
      expect(full.survivors).toHaveLength(N);
      expect(Array.from(full.sum)).toEqual(Array.from(expected));
    } finally {
      await strict.stop();
    }
  }, 120_000);
});

describe('chunked HE contributions over gRPC', () => {
  it('a 4800-value vector goes as 2 pulled chunks per party and sums exactly', async () => {
    const query: LocalQuery = { kind: 'marginals', attrSets: [['a', 'b']] }; // 80 x 60 = 4800 > 4096 slots
    const expected = await plainSum('chunked', query);
    const asked: string[] = [];
    const real = consortium.coordinator.gateway;
    // Records the stages the coordinator asks (chunk pulls are he_encrypt requests).
    const spy = {
      session: (id: string) => {
        const s = real.session(id);
        if (!s) return undefined;
        const wrapped = Object.create(s) as AgentSession;
        wrapped.request = (req, timeoutMs) => {
          asked.push(req.stage?.$case === 'heEncrypt' ? `${id}:chunk${req.stage.value.chunkIndex}` : `${id}:${req.stage?.$case}`);
          return s.request(req, timeoutMs);
        };
        return wrapped;
      },
    } as unknown as AgentGateway;
    const p = plan('chunked', query, Aggregation.AGGREGATION_HE);
    // A budget of one byte: every chunk is a single ciphertext (~100 KB), so 2 chunks per party.
    const out = await runHeRound(spy, consortium.coordinator.custodian, p, log, signingKeyOf, { minContributors: 1, maxChunkBytes: 1, study: announced });
    expect(out.survivors).toHaveLength(N);
    expect(Array.from(out.sum)).toEqual(Array.from(expected));
    for (const id of consortium.partyIds) expect(asked.filter((a) => a.startsWith(`${id}:`))).toEqual([`${id}:compute`, `${id}:chunk1`]);
  }, 90_000);
});

describe('study creation: spec.neighbours', () => {
  const create = (parties: number, neighbours: number, aggregation = Aggregation.AGGREGATION_MASKING, colluders = 0) =>
    completeSpec(
      {
        spec: StudySpec.fromPartial({ mechanism: Mechanism.MECHANISM_MST, epsilon: 1, delta: 1e-9, domain: [{ name: 'a', size: 2 }], aggregation, syntheticRows: 10, neighbours, colluders }),
        parties: Array.from({ length: parties }, (_, i) => `p${String(i).padStart(3, '0')}`),
        seed: '',
        splitNote: '',
        roundTimeoutMs: 0,
      },
      [],
      false,
    ).spec.neighbours;

  it('chooses the full graph for small consortia and the smallest safe k for large ones', () => {
    expect(create(8, 0)).toBe(0);
    expect(create(100, 0)).toBe(14); // 2 * ceil(log2 100)
    expect(create(100, 0, Aggregation.AGGREGATION_MASKING, 9)).toBe(20); // 2f + 2
    expect(create(8, 6)).toBe(6);
    expect(create(8, 7)).toBe(0); // k = n - 1: the full graph
  });

  it('refuses k >= n, odd k, k below the safe minimum, and k outside masking', () => {
    expect(() => create(8, 8)).toThrow(expect.objectContaining({ code: ErrorCode.InvalidArgument, message: expect.stringMatching(/below the number of parties/) }));
    expect(() => create(8, 5)).toThrow(/must be even/);
    expect(() => create(8, 4)).toThrow(/below the safe minimum 6/);
    expect(() => create(8, 6, Aggregation.AGGREGATION_HE)).toThrow(/masking aggregation only/);
  });
});
