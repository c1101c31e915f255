// Integration test: every message a party agent sends during whole studies (MST plain and masking, dpsgd
// masking and plain, agents on CSV) is captured; none carries raw data, no released vector equals the
// exact local counts, masked vectors look uniform, a gradient round leaves only masked, noisy sums.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Domain } from '../shared/pgm/Domain.js';
import { parseSchema, type Schema } from '../shared/schema/ConsortiumSchema.js';
import { schemaDomain } from '../shared/schema/columnLayout.js';
import { domainHash } from '../shared/study/domainHash.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { evaluateLocalQuery } from '../shared/synth/evaluateLocalQuery.js';
import type { LocalQuery } from '../shared/synth/LocalQuery.js';
import { decodeIntVector } from '../shared/wire/intVectorCodec.js';
import { silentLogger } from '../platform/logging/logging.js';
import { LocalConsortium } from '../simulation/LocalConsortium.js';
import { openSource, type ValidatingSource } from '../party-agent/data/openSource.js';
import { AgentConnection } from '../party-agent/transport/AgentConnection.js';
import { PartyAgent } from '../party-agent/PartyAgent.js';
import { fromGrpcError } from '../coordinator/grpcErrors.js';
import { AgentMessage, Aggregation, Mechanism, type ComputeStage, type CoordinatorMessage, type CreateStudyRequest, type StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { RAW_SCHEMA, writeSilos } from './support/writeSilos.js';
import { decodeLocalQuery } from '../platform/wire/localQueryWire.js';
import type { DpsgdTraining } from '../shared/study/StudySpec.js';
import { vaeSpecForStudy } from '../shared/synth/dpsgdModel.js';
import { clippedGradientSum } from '../shared/neural/clippedGradientSum.js';
import { discretizeClippedSum } from '../shared/dp/gradient/discretizeClippedSum.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { poissonSampleExact } from '../party-agent/rounds/gradientContribution.js';
import { trainingRowsOf } from '../party-agent/data/trainingRows.js';

type Body = NonNullable<AgentMessage['body']>;
interface Sent {
  party: string;
  body: Body;
  bytes: Buffer;
}
interface Asked {
  party: string;
  studyId: string;
  roundId: string;
  compute: ComputeStage;
  /** The whole encoded query: the chunks sent before the compute stage, then its own bytes. */
  query: Uint8Array;
}

const dir = mkdtempSync(join(tmpdir(), 'fedsynth-wire-'));
const schemaRaw = JSON.parse(readFileSync(RAW_SCHEMA, 'utf8')) as unknown;
const schema: Schema = parseSchema(schemaRaw);
const domain = Domain.fromJson(schemaDomain(schema));
const siloFiles = [0, 1, 2].map((i) => join(dir, `silo-${i}.csv`));
const siloLines = writeSilos(siloFiles, 1500);
const sources: ValidatingSource[] = [];
const sent: Sent[] = [];
const asked: Asked[] = [];
let consortium: LocalConsortium;
const studies: Record<'plain' | 'masking' | 'dpsgdMasking' | 'dpsgdPlain', string> = { plain: '', masking: '', dpsgdMasking: '', dpsgdPlain: '' };
/** Two short gradient rounds of a small generator on the raw schema (continuous columns as values). */
const TRAINING: DpsgdTraining = { rounds: 2, sampleRate: 0.05, clipNorm: 1, hidden: [16], latent: 4, learningRate: 0.02, offsetSigma: 0.2 };

/** The party an agent object or its connection belongs to. */
function partyOf(ctx: unknown): string {
  const i = consortium.agents.findIndex((a) => a === ctx || (a as unknown as { conn: unknown }).conn === ctx);
  return i >= 0 ? consortium.partyIds[i] : 'unknown';
}

async function runStudy(aggregation: Aggregation, dpsgd = false): Promise<string> {
  const req: CreateStudyRequest = {
    spec: {
      studyId: '',
      title: 'wire capture',
      mechanism: dpsgd ? Mechanism.MECHANISM_DPSGD : Mechanism.MECHANISM_MST,
      epsilon: 1,
      delta: 1e-9,
      rho: 0,
      columns: [],
      domain: domain.attrs.map((name, i) => ({ name, size: domain.shape[i] })),
      aggregation,
      minParties: 3,
      colluders: 0,
      dropouts: 0,
      syntheticRows: 200,
      domainHash: domainHash(domain),
      maxSilosPerIndividual: 1,
      targetColumn: '',
      schemaJson: dpsgd ? JSON.stringify(schemaRaw) : '',
      neighbours: 0,
      training: dpsgd ? { ...TRAINING, hidden: [...TRAINING.hidden] } : undefined,
      evaluationRho: 0,
    },
    parties: consortium.partyIds,
    seed: 'wire-test',
    splitNote: '',
    roundTimeoutMs: 0,
  };
  const created = await new Promise<StudyStatus>((resolve, reject) => consortium.operator.createStudy(req, (e, r) => (e ? reject(fromGrpcError(e)) : resolve(r))));
  const id = created.spec!.studyId;
  await consortium.coordinator.waitForStudy(id);
  const st = consortium.coordinator.store.getStudy(id);
  if (st.state !== 'done') throw new Error(`study ${id} ended ${st.state}: ${st.errorMessage}`);
  return id;
}

beforeAll(async () => {
  for (const f of siloFiles) {
    const s = await openSource({ kind: 'csv', path: f }, schema, { onInvalid: 'fail', threads: 1 });
    expect((await s.validate()).ok).toBe(true);
    sources.push(s);
  }
  const sendSpy = vi.spyOn(AgentConnection.prototype, 'send');
  const onMessageSpy = vi.spyOn(PartyAgent.prototype as unknown as { onMessage: (m: CoordinatorMessage, s: unknown) => void }, 'onMessage');
  consortium = new LocalConsortium({
    domain,
    sources,
    log: silentLogger(),
    seed: 'wire-test',
    // Plain mode costs each of the 3 parties up to 3 times the study's rho (epsilon 1.78 for epsilon 1).
    policy: { allowedColumns: '*', maxEpsilonPerStudy: 2, maxDeltaPerStudy: 1e-6, allowedMechanisms: ['mst', 'dpsgd'], minParties: 2, autoApprove: true, allowPlainAggregation: true },
    ledgerRho: 1,
    workDir: join(dir, 'consortium'),
  });
  await consortium.start();
  studies.plain = await runStudy(Aggregation.AGGREGATION_PLAIN);
  studies.masking = await runStudy(Aggregation.AGGREGATION_MASKING);
  studies.dpsgdMasking = await runStudy(Aggregation.AGGREGATION_MASKING, true);
  studies.dpsgdPlain = await runStudy(Aggregation.AGGREGATION_PLAIN, true);
  sendSpy.mock.calls.forEach(([body], i) => {
    sent.push({ party: partyOf(sendSpy.mock.contexts[i]), body, bytes: Buffer.from(AgentMessage.encode({ seq: 0, body }).finish()) });
  });
  const chunks = new Map<string, Uint8Array[]>();
  onMessageSpy.mock.calls.forEach(([msg], i) => {
    const b = msg.body;
    const party = partyOf(onMessageSpy.mock.contexts[i]);
    if (b?.$case === 'roundRequest' && b.value.stage?.$case === 'queryChunk') {
      const key = `${party}/${b.value.roundId}`;
      chunks.set(key, [...(chunks.get(key) ?? []), b.value.stage.value.data]);
    }
    if (b?.$case === 'roundRequest' && b.value.stage?.$case === 'compute') {
      const compute = b.value.stage.value;
      const query = compute.queryChunkCount > 1 ? Buffer.concat([...(chunks.get(`${party}/${b.value.roundId}`) ?? []), compute.query]) : compute.query;
      asked.push({ party, studyId: b.value.studyId, roundId: b.value.roundId, compute, query });
    }
  });
  sendSpy.mockRestore();
  onMessageSpy.mockRestore();
}, 600_000);

afterAll(async () => {
  await consortium?.stop();
  for (const s of sources) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Raw-data strings found in a message: whole CSV lines, or category labels of >= 6 characters. */
function rawDataIn(bytes: Buffer, needles: readonly string[]): string[] {
  const text = bytes.toString('latin1');
  return needles.filter((n) => text.includes(n));
}

const needles = (() => {
  const labels = new Set<string>();
  const categorical = schema.columns.filter((c) => c.type === 'categorical') as { name: string; categories: readonly string[] }[];
  for (const lines of siloLines) {
    for (const line of lines) {
      const cells = line.split(',');
      for (const col of categorical) {
        const v = cells[schema.columns.findIndex((c) => c.name === col.name)];
        // Six characters or more: a random 6-byte match in a ~1 MB capture has probability < 1e-8.
        if (v !== undefined && v.length >= 6 && col.categories.includes(v)) labels.add(v);
      }
    }
  }
  return [...labels, ...siloLines.flat()];
})();

/**
 * P(noisy cell == exact cell) = P(N_Z(0, sigma^2) = 0) = 1 / sum_{k in Z} exp(-k^2 / (2 sigma^2)),
 * summed here to |k| <= 40 sigma + 1 (the rest is below 1e-300 of the sum).
 */
function zeroNoiseProbability(sigma2: number): number {
  const kMax = Math.ceil(40 * Math.sqrt(sigma2)) + 1;
  let z = 1;
  for (let k = 1; k <= kMax; k++) z += 2 * Math.exp(-(k * k) / (2 * sigma2));
  return 1 / z;
}

/**
 * Smallest c with P(Binomial(n, p) >= c) <= alpha: the cells' noise draws are independent, so the
 * number of cells left equal to the exact count is Binomial(n, p0). Exact tail, summed in log space.
 */
function binomialUpperCritical(n: number, p: number, alpha: number): number {
  const logPmf = new Float64Array(n + 1);
  logPmf[0] = n * Math.log1p(-p);
  for (let k = 0; k < n; k++) logPmf[k + 1] = logPmf[k] + Math.log((n - k) / (k + 1)) + Math.log(p) - Math.log1p(-p);
  const logAlpha = Math.log(alpha);
  let logTail = -Infinity; // log P(X >= c), for c going down from n
  for (let c = n; c >= 0; c--) {
    const hi = Math.max(logTail, logPmf[c]);
    const next = hi + Math.log(Math.exp(logTail - hi) + Math.exp(logPmf[c] - hi));
    if (next > logAlpha) return c + 1;
    logTail = next;
  }
  return 0;
}

/** Fraction of words whose signed value is within 2^20 of zero ("looks like a count"). */
/** How many words lie within 2^20 of zero mod 2^32 (probability 2^-11 each for a uniform word). */
function nearZeroCount(words: Uint32Array): number {
  let near = 0;
  for (const w of words) if (Math.abs(w | 0) < 2 ** 20) near++;
  return near;
}

/**
 * The count of near-zero words that uniform words reach with probability at most 1e-6 (exact
 * binomial tail, Binomial(n, 2^-11)), for a vector of any length: short vectors too.
 */
function nearZeroCritical(n: number): number {
  return binomialUpperCritical(n, 2 ** -11, 1e-6);
}

/** |mean/2^32 - 1/2| in standard errors of a uniform mean (sd 1/sqrt(12 n)). */
function uniformMeanZ(words: Uint32Array): number {
  let s = 0;
  for (const w of words) s += w / 2 ** 32;
  return Math.abs(s / words.length - 0.5) * Math.sqrt(12 * words.length);
}

describe('no raw data on the wire', () => {
  it('captured every party message of a plain and a masking study', () => {
    expect(consortium.coordinator.store.getStudy(studies.plain).rhoSpent).toBeCloseTo(rhoFromEpsilon(1, 1e-9), 12);
    for (const p of consortium.partyIds) {
      const mine = sent.filter((s) => s.party === p);
      expect(mine.some((s) => s.body.$case === 'roundReply' && s.body.value.stage?.$case === 'plain')).toBe(true);
      expect(mine.some((s) => s.body.$case === 'roundReply' && s.body.value.stage?.$case === 'masked')).toBe(true);
    }
    expect(asked.length).toBeGreaterThanOrEqual(2 * 2 * consortium.partyIds.length);
    expect(needles.length).toBeGreaterThan(1500);
  });

  it('no message contains a CSV line or a category label of the silos', () => {
    for (const s of sent) expect(rawDataIn(s.bytes, needles), `${s.party} ${s.body.$case}`).toEqual([]);
  });

  it('planted fault: the scan does find a leaked row or label', () => {
    const leak = AgentMessage.encode({ seq: 1, body: { $case: 'error', value: { code: 'X', message: siloLines[1][7], studyId: '', roundId: '', field: '' } } }).finish();
    expect(rawDataIn(Buffer.from(leak), needles).length).toBeGreaterThan(0);
  });

  it('no plain contribution equals the exact local counts of its query (alpha <= 1e-6 per vector)', async () => {
    let checked = 0;
    for (const a of asked.filter((x) => x.compute.aggregation === Aggregation.AGGREGATION_PLAIN && x.studyId === studies.plain)) {
      const reply = sent.find((s) => s.party === a.party && s.body.$case === 'roundReply' && s.body.value.roundId === a.roundId && s.body.value.stage?.$case === 'plain');
      expect(reply, `${a.party} ${a.roundId}`).toBeDefined();
      const plain = reply!.body.$case === 'roundReply' && reply!.body.value.stage?.$case === 'plain' ? reply!.body.value.stage.value : undefined;
      const noisy = decodeIntVector(plain!.noisyVector, plain!.elementBits, a.compute.vectorLength);
      const exact = await evaluateLocalQuery(decodeLocalQuery(a.compute.query, domain), sources[consortium.partyIds.indexOf(a.party)], domain);
      expect(noisy.length).toBe(exact.length);
      let equal = 0;
      for (let j = 0; j < exact.length; j++) if (noisy[j] === Math.round(exact[j])) equal++;
      expect(equal).toBeLessThan(exact.length);
      // Exact binomial tail: at most 1e-7 false alarms per vector, at any length.
      expect(equal).toBeLessThan(binomialUpperCritical(exact.length, zeroNoiseProbability(a.compute.perPartySigma2), 1e-7));
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2 * consortium.partyIds.length);
  });

  it('masked vectors look uniform mod 2^32, not like counts (alpha ~ 1e-6 per vector)', async () => {
    let checked = 0;
    for (const a of asked.filter((x) => x.compute.aggregation === Aggregation.AGGREGATION_MASKING && x.studyId === studies.masking)) {
      const reply = sent.find((s) => s.party === a.party && s.body.$case === 'roundReply' && s.body.value.roundId === a.roundId && s.body.value.stage?.$case === 'masked');
      expect(reply, `${a.party} ${a.roundId}`).toBeDefined();
      const masked = reply!.body.$case === 'roundReply' && reply!.body.value.stage?.$case === 'masked' ? reply!.body.value.stage.value.maskedVector : new Uint8Array();
      const words = new Uint32Array(a.compute.vectorLength);
      const view = new DataView(masked.buffer, masked.byteOffset, masked.byteLength);
      for (let j = 0; j < words.length; j++) words[j] = view.getUint32(4 * j, true);
      const exact = await evaluateLocalQuery(decodeLocalQuery(a.compute.query, domain), sources[consortium.partyIds.indexOf(a.party)], domain);
      expect(words.some((w, j) => w !== (Math.round(exact[j]) >>> 0))).toBe(true);
      // Uniform words fall within 2^20 of zero with p = 2^-11 each: the count stays below the exact
      // binomial critical value with probability >= 1 - 1e-6 per vector, whatever its length.
      expect(nearZeroCount(words)).toBeLessThan(nearZeroCritical(words.length));
      // Mean of uniform words: |z| >= 4.9 has probability ~1e-6 (normal approximation, n >= 100).
      if (words.length >= 100) expect(uniformMeanZ(words)).toBeLessThan(4.9);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(2 * consortium.partyIds.length);
  });

  it('the equal-cell bound is exact and catches noise that is zero too often (planted)', () => {
    // sigma^2 = 1/4: P(0) = 1 / (1 + 2e^-2 + 2e^-8 + ...) = 0.7864; large sigma: 1 / (sqrt(2 pi) sigma).
    expect(zeroNoiseProbability(0.25)).toBeCloseTo(1 / (1 + 2 * Math.exp(-2) + 2 * Math.exp(-8) + 2 * Math.exp(-18)), 12);
    expect(zeroNoiseProbability(1e4)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI * 1e4), 9);
    // Binomial(10, 1/2): P(X >= 10) = 2^-10 <= 1e-3 < P(X >= 9) = 11 / 1024.
    expect(binomialUpperCritical(10, 0.5, 1e-3)).toBe(10);
    expect(binomialUpperCritical(10, 0.5, 11 / 1024)).toBe(9);
    // 200 cells at sigma^2 = 100 (P(0) = 0.0399, 8 expected): 27 equal cells are the 1e-7 critical value.
    expect(binomialUpperCritical(200, zeroNoiseProbability(100), 1e-7)).toBe(27);
    // Planted on the captured study: the largest plain vector of the round with the exact counts in
    // a quarter of its cells (noise skipped there) fails the bound.
    const a = asked.filter((x) => x.compute.aggregation === Aggregation.AGGREGATION_PLAIN && x.studyId === studies.plain).sort((x, y) => y.compute.vectorLength - x.compute.vectorLength)[0];
    const n = a.compute.vectorLength;
    expect(Math.ceil(n / 4)).toBeGreaterThanOrEqual(binomialUpperCritical(n, zeroNoiseProbability(a.compute.perPartySigma2), 1e-7));
  });

  it('planted fault: the uniformity checks reject unmasked counts', async () => {
    const a = asked.find((x) => x.compute.aggregation === Aggregation.AGGREGATION_MASKING && x.studyId === studies.masking && x.compute.vectorLength >= 100)!;
    const exact = await evaluateLocalQuery(decodeLocalQuery(a.compute.query, domain), sources[0], domain);
    const words = Uint32Array.from(exact, (v) => Math.round(v) >>> 0);
    expect(nearZeroCount(words)).toBeGreaterThanOrEqual(nearZeroCritical(words.length));
    expect(uniformMeanZ(words)).toBeGreaterThanOrEqual(4.9);
  });

  /** The gradient rounds of a dpsgd study as each party was asked them, with the reply it sent. */
  function gradientRounds(studyId: string): { a: Asked; reply: Body | undefined; step: Extract<LocalQuery, { kind: 'gradientStep' }> }[] {
    return asked
      .filter((x) => x.studyId === studyId)
      .flatMap((a) => {
        const q = decodeLocalQuery(a.query, domain);
        if (q.kind !== 'gradientStep') return [];
        const reply = sent.find((s) => s.party === a.party && s.body.$case === 'roundReply' && s.body.value.roundId === a.roundId && (s.body.value.stage?.$case === 'masked' || s.body.value.stage?.$case === 'plain'));
        return [{ a, reply: reply?.body, step: q }];
      });
  }

  function wordsOf(bytes: Uint8Array, n: number): Uint32Array {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Uint32Array.from({ length: n }, (_, j) => view.getUint32(4 * j, true));
  }

  /**
   * Lower bound on ||v||^2 of a vector carrying its noise share: v = x + n, n_i ~ N_Z(0, s2) iid.
   * ||n||^2 / s2 is ~ chi-square(d): below d - 6 sqrt(2d) with probability ~1e-9; the signal can
   * lower ||x + n||^2 below ||n||^2 by at most (x.n)^2/||x||^2 = g^2 s2, g ~ N(0, 1), below 36 s2
   * with probability ~2e-9. So ||v||^2 >= s2 (d - 6 sqrt(2d) - 36) fails with probability ~3e-9.
   */
  function noisyNormFloor(d: number, s2: number): number {
    return s2 * (d - 6 * Math.sqrt(2 * d) - 36);
  }

  function squaredNormOf(v: ArrayLike<number>): number {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
    return s;
  }

  it('dpsgd with masking: every gradient round leaves an agent only as a masked vector that looks uniform mod 2^32 (alpha ~ 1e-6 per vector)', () => {
    const rounds = gradientRounds(studies.dpsgdMasking);
    expect(rounds.length).toBe(TRAINING.rounds * consortium.partyIds.length);
    for (const { a, reply, step } of rounds) {
      expect(reply?.$case === 'roundReply' && reply.value.stage?.$case, `${a.party} ${a.roundId}`).toBe('masked');
      const masked = reply!.$case === 'roundReply' && reply!.value.stage?.$case === 'masked' ? reply!.value.stage.value.maskedVector : new Uint8Array();
      expect(a.compute.vectorLength).toBe(step.plan.paddedDimension);
      const words = wordsOf(masked, a.compute.vectorLength);
      expect(nearZeroCount(words)).toBeLessThan(nearZeroCritical(words.length));
      expect(uniformMeanZ(words)).toBeLessThan(4.9);
    }
    // No plain reply at all in the masking study.
    expect(sent.filter((s) => s.body.$case === 'roundReply' && s.body.value.studyId === studies.dpsgdMasking && s.body.value.stage?.$case === 'plain')).toEqual([]);
  });

  it('dpsgd in plain mode (the vector before masking): each gradient vector carries at least its noise share (alpha ~ 3e-9 per vector)', () => {
    const rounds = gradientRounds(studies.dpsgdPlain);
    expect(rounds.length).toBe(TRAINING.rounds * consortium.partyIds.length);
    for (const { a, reply, step } of rounds) {
      const plain = reply?.$case === 'roundReply' && reply.value.stage?.$case === 'plain' ? reply.value.stage.value : undefined;
      expect(plain, `${a.party} ${a.roundId}`).toBeDefined();
      const v = decodeIntVector(plain!.noisyVector, plain!.elementBits, a.compute.vectorLength);
      expect(squaredNormOf(v)).toBeGreaterThan(noisyNormFloor(v.length, step.plan.perPartySigma2));
    }
  });

  it('planted faults: an unmasked gradient vector fails the uniformity checks, a noise-free one the noise floor', async () => {
    const [{ a, reply, step }] = gradientRounds(studies.dpsgdPlain);
    const plain = reply!.$case === 'roundReply' && reply!.value.stage?.$case === 'plain' ? reply!.value.stage.value : undefined;
    // The agent's noisy vector sent without masks: small signed words, near zero mod 2^32.
    const unmasked = Uint32Array.from(decodeIntVector(plain!.noisyVector, plain!.elementBits, a.compute.vectorLength), (x) => x >>> 0);
    expect(nearZeroCount(unmasked) >= nearZeroCritical(unmasked.length) || uniformMeanZ(unmasked) >= 4.9).toBe(true);
    // The same round computed by this party without its noise share: the clipped, discretized sum.
    const source = sources[consortium.partyIds.indexOf(a.party)]!;
    const spec = vaeSpecForStudy(TRAINING, domain, JSON.stringify(schemaRaw));
    const rng = seededRandomSource('wire-test', 'planted-noise-free');
    const rows = await trainingRowsOf(source, source, spec.encoding);
    const clipped = await clippedGradientSum(spec, step.weights, poissonSampleExact(rows, step.plan.sampleRate, rng), step.plan.clipNorm, rng);
    const noiseFree = discretizeClippedSum(clipped.sum, step.plan, rng);
    expect(squaredNormOf(noiseFree)).toBeLessThan(noisyNormFloor(noiseFree.length, step.plan.perPartySigma2));
  });
});
