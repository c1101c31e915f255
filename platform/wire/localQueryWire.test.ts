// Tests for the binary LocalQuery: round trips, the size of a wide table's query, references
// derived by the parties from the model equal the coordinator's bit for bit, chunking, hostile input.
import { describe, expect, it } from 'vitest';
import { Domain } from '../../shared/pgm/Domain.js';
import { GraphicalModel } from '../../shared/pgm/GraphicalModel.js';
import { estimate } from '../../shared/pgm/Estimation.js';
import { cliqueSets, randomPotentials, smallDomain } from '../../shared/pgm/testing/cliqueSets.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformInt } from '../../shared/dp/random/uniform.js';
import { EncodedTable, allocColumn } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { countMarginals } from '../../shared/data/countMarginals.js';
import { evaluateLocalQuery, independenceReference } from '../../shared/synth/evaluateLocalQuery.js';
import { validateLocalQuery, type LocalQuery } from '../../shared/synth/LocalQuery.js';
import { clampedProjection } from '../../shared/synth/modelReferences.js';
import { kWaySets } from '../../shared/synth/AimCandidates.js';
import { dependentTable } from '../../test/support/testOracle.js';
import { errorCodeOfSync as codeOf } from '../../test/support/errorCodeOf.js';
import { decodeLocalQuery, encodeLocalQuery } from './localQueryWire.js';
import { QueryAssembler, queryDigest, splitQuery } from '../../shared/wire/QueryChunks.js';
import { planGradientRound } from '../../shared/dp/gradient/planGradientRound.js';
import { gradientPlanToWire } from './gradientStepWire.js';
import { GradientRounding, GradientStepQuery, LocalQuery as WireQuery } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';

const bits = (v: Float64Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');

/** Every non-empty attribute set of up to 4 attributes of `domain` (small domains only). */
function allSets(domain: Domain, maxWay: number): string[][] {
  const out: string[][] = [];
  for (let k = 1; k <= maxWay; k++) out.push(...kWaySets(domain, k, Infinity));
  return out;
}

describe('binary LocalQuery', () => {
  const table = dependentTable(300, 'wire');
  const domain = table.domain;
  const source = new InMemoryMarginalSource(table);
  const model = estimate(domain, countMarginals(table, domain, [['a', 'b'], ['b', 'c'], ['c', 'd'], ['a', 'd'], ['e']]).map((values, i) => ({ attrs: [['a', 'b'], ['b', 'c'], ['c', 'd'], ['a', 'd'], ['e']][i], values, stddev: 1 })), { iters: 50 });

  it('round-trips every kind and the parties answer the same', async () => {
    const queries: LocalQuery[] = [
      { kind: 'marginals', attrSets: [['a'], ['b', 'd']] },
      { kind: 'marginals', attrSets: [['a', 'e']], recode: [{ attr: 'e', map: [0, 1, 1, 2], size: 3 }] },
      { kind: 'l1Scores', candidates: [['a', 'b'], ['c', 'd', 'e']], oneWays: domain.shape.map((n, j) => Float64Array.from({ length: n }, (_, i) => (i + j + 1) / 45)), samplingCorrection: true },
      { kind: 'l1Scores', candidates: [['a', 'e'], ['e']], oneWays: domain.shape.map((n, j) => Float64Array.from({ length: j === 4 ? 3 : n }, (_, i) => i + 1)), recode: [{ attr: 'e', map: [0, 1, 1, 2], size: 3 }] },
      { kind: 'conditionalL1Scores', candidates: [['a', 'b'], ['c']], conditions: [['e'], []], reference: [new Float64Array(36).fill(1), Float64Array.of(1, 2, 3)] },
      { kind: 'conditionalL1Scores', candidates: [['a', 'b'], ['c', 'd', 'e'], ['b']], conditions: [['e'], [], ['d']], model: model.snapshot(), samplingCorrection: true },
      // Self-conditioned (a member of the candidate) with the multinomial floor (AIM selfCondition).
      { kind: 'conditionalL1Scores', candidates: [['a', 'b'], ['c', 'd', 'e']], conditions: [['a'], ['d']], model: model.snapshot(), samplingCorrection: true, multinomialFloor: true },
      { kind: 'pairDependenceScores', candidates: [['a', 'b'], ['c', 'e']], samplingCorrection: true },
      { kind: 'pairDependenceScores', candidates: [['a', 'b'], ['a', 'e'], ['c', 'd']], anchor: 'a', anchorReference: [[0.5, 0.3, 0.2], [0.1, 0.2, 0.3], []], recode: [{ attr: 'e', map: [0, 1, 1, 2], size: 3 }] },
    ];
    for (const q of queries) {
      const back = decodeLocalQuery(encodeLocalQuery(q, domain), domain);
      expect(back.kind).toBe(q.kind);
      if (q.kind === 'conditionalL1Scores' && back.kind === 'conditionalL1Scores') expect(back.multinomialFloor === true).toBe(q.multinomialFloor === true);
      validateLocalQuery(back, domain);
      expect(bits(await evaluateLocalQuery(back, source, domain))).toBe(bits(await evaluateLocalQuery(q, source, domain)));
    }
  });

  it('references a party derives from the sent model equal the coordinator\'s, bit for bit', async () => {
    // The coordinator's references as it computed them before sending the model: max(0, project(U)).
    const models: GraphicalModel[] = [model];
    for (const [name, cliques] of Object.entries(cliqueSets)) models.push(GraphicalModel.fromPotentials(smallDomain, randomPotentials(smallDomain, cliques, name.length), 1000));
    let compared = 0;
    for (const m of models) {
      const dom = m.domain;
      const wire = decodeLocalQuery(encodeLocalQuery({ kind: 'conditionalL1Scores', candidates: [[dom.attrs[0]]], conditions: [[]], model: m.snapshot() }, dom), dom);
      if (wire.kind !== 'conditionalL1Scores' || wire.model === undefined) throw new Error('decoded the wrong kind');
      const party = GraphicalModel.fromSnapshot(dom, wire.model);
      for (const u of allSets(dom, 4)) {
        expect(bits(clampedProjection(party, u)), `${dom.attrs.join('')} [${u.join(',')}]`).toBe(bits(Float64Array.from(m.project(u), (v) => Math.max(0, v))));
        compared++;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(200);
    // And the whole answer: model form against the explicit tables the coordinator used to send.
    const cands = [['a', 'b'], ['c', 'd', 'e'], ['b'], ['a', 'c']];
    const conds = [['e'], [], ['d'], ['e']];
    const explicit: LocalQuery = { kind: 'conditionalL1Scores', candidates: cands, conditions: conds, reference: cands.map((c, k) => Float64Array.from(model.project(domain.union(c, conds[k])), (v) => Math.max(0, v))), samplingCorrection: true };
    const compact: LocalQuery = { kind: 'conditionalL1Scores', candidates: cands, conditions: conds, model: model.snapshot(), samplingCorrection: true };
    const viaWire = decodeLocalQuery(encodeLocalQuery(compact, domain), domain);
    expect(bits(await evaluateLocalQuery(viaWire, source, domain))).toBe(bits(await evaluateLocalQuery(explicit, source, domain)));
    // AIM's rounds schedule (empty conditions, the former per-candidate `l1Scores` tables).
    const empty = cands.map(() => []);
    const explicitEmpty: LocalQuery = { kind: 'conditionalL1Scores', candidates: cands, conditions: empty, reference: cands.map((c) => Float64Array.from(model.project(c), (v) => Math.max(0, v))) };
    const compactEmpty = decodeLocalQuery(encodeLocalQuery({ kind: 'conditionalL1Scores', candidates: cands, conditions: empty, model: model.snapshot() }, domain), domain);
    expect(bits(await evaluateLocalQuery(compactEmpty, source, domain))).toBe(bits(await evaluateLocalQuery(explicitEmpty, source, domain)));
  });

  it('l1Scores: the party\'s product of the sent 1-way tables equals the coordinator\'s outer product, bit for bit', () => {
    const rng = seededRandomSource('outer', 'test/oneways');
    const oneWays = domain.shape.map((n) => Float64Array.from({ length: n }, () => uniformInt(rng, 1000) / 997));
    const wire = decodeLocalQuery(encodeLocalQuery({ kind: 'l1Scores', candidates: [['a']], oneWays }, domain), domain);
    if (wire.kind !== 'l1Scores') throw new Error('decoded the wrong kind');
    let compared = 0;
    for (const u of allSets(domain, 3)) {
      // What MST's coordinator computed before: p ⊗ q ⊗ ... left to right, last attribute fastest.
      let coord = Float64Array.of(1);
      for (const a of u) {
        const p = oneWays[domain.indexOf(a)];
        coord = Float64Array.from({ length: coord.length * p.length }, (_, i) => coord[Math.floor(i / p.length)] * p[i % p.length]);
      }
      expect(bits(independenceReference(domain, u, wire.oneWays)), u.join(',')).toBe(bits(coord));
      compared++;
    }
    expect(compared).toBe(25);
  });

  it('a 100-column table\'s l1Scores query carries one 1-way table per column, not candidates x cells (< 8 bytes per column value + 8 per candidate + 4 KiB)', () => {
    const d = 100;
    const rng = seededRandomSource('wide-l1', 'test/domain');
    const wide = new Domain(Array.from({ length: d }, (_, i) => `c${i}`), Array.from({ length: d }, () => 2 + uniformInt(rng, 15)));
    const candidates = kWaySets(wide, 3, Infinity);
    expect(candidates.length).toBe(161_700);
    const oneWays = wide.shape.map((n) => Float64Array.from({ length: n }, () => 1 / n));
    const q: LocalQuery = { kind: 'l1Scores', candidates, oneWays, samplingCorrection: true };
    const bytes = encodeLocalQuery(q, wide).length;
    const values = wide.shape.reduce((s, n) => s + n, 0);
    expect(bytes).toBeLessThan(8 * values + 8 * candidates.length + 4096);
    const dense = candidates.reduce((s, c) => s + 8 * wide.size(c), 0);
    expect(dense / bytes).toBeGreaterThan(100);
    validateLocalQuery(decodeLocalQuery(encodeLocalQuery(q, wide), wide), wide);
  });

  it('a 100-column table\'s selection query carries the model, not candidates x cells (< 8 bytes per model cell + 8 per candidate + 64 KiB)', () => {
    const d = 100;
    const rng = seededRandomSource('wide', 'test/domain');
    const wide = new Domain(Array.from({ length: d }, (_, i) => `c${i}`), Array.from({ length: d }, () => 2 + uniformInt(rng, 15)));
    const rows = 2000;
    const cols = wide.shape.map((s) => allocColumn(s, rows));
    for (let r = 0; r < rows; r++) for (let j = 0; j < d; j++) cols[j][r] = j > 0 && uniformInt(rng, 2) === 0 ? cols[j - 1][r] % wide.shape[j] : uniformInt(rng, wide.shape[j]);
    const t = new EncodedTable(wide, cols);
    const chain = Array.from({ length: d - 1 }, (_, j) => [wide.attrs[j], wide.attrs[j + 1]]);
    const m = estimate(wide, countMarginals(t, wide, chain).map((values, i) => ({ attrs: chain[i], values, stddev: 10 })), { iters: 5 });
    const candidates = kWaySets(wide, 3, 10000);
    expect(candidates.length).toBeGreaterThan(150_000); // all 161,700 three-way sets but a few
    const conditions = candidates.map((c) => (c.includes('c0') ? ['c0'] : domainConditioned(wide, c)));
    const q: LocalQuery = { kind: 'conditionalL1Scores', candidates, conditions, model: m.snapshot(), samplingCorrection: true };
    const bytes = encodeLocalQuery(q, wide).length;
    const modelCells = m.snapshot().marginals.reduce((s, v) => s + v.length, 0);
    expect(bytes).toBeLessThan(8 * modelCells + 8 * candidates.length + 65536);
    // The dense tables it replaces: one float64 per cell of every candidate ∪ condition.
    const dense = candidates.reduce((s, c, k) => s + 8 * wide.size(wide.union(c, conditions[k])), 0);
    expect(dense / bytes).toBeGreaterThan(100);
  });

  it('riskCounts: singling-out families round-trip condition by condition; inconsistent arrays are refused', () => {
    const singlingOut = [
      [[{ col: 0, op: 'eq' as const, value: 1 }], [{ col: 0, op: 'ne' as const, value: 1 }, { col: 1, op: 'lt' as const, value: 2 }]],
      [[{ col: 2, op: 'le' as const, value: 0 }, { col: 3, op: 'gt' as const, value: 1 }, { col: 4, op: 'ge' as const, value: 2 }]],
    ];
    const q: LocalQuery = { kind: 'riskCounts', columns: domain.attrs.length, syntheticSha256: 'a'.repeat(64), singlingOut };
    expect(decodeLocalQuery(encodeLocalQuery(q, domain), domain)).toEqual(q);
    const plain: LocalQuery = { kind: 'riskCounts', columns: domain.attrs.length, syntheticSha256: 'a'.repeat(64) };
    expect(decodeLocalQuery(encodeLocalQuery(plain, domain), domain)).toEqual(plain);
    const wire = (family: { offsets: number[]; columns: number[]; ops: number[]; values: number[] }) =>
      WireQuery.encode({ kind: { $case: 'riskCounts', value: { columns: domain.attrs.length, syntheticSha256: 'a'.repeat(64), singlingOut: [family] } } }).finish();
    expect(codeOf(() => decodeLocalQuery(wire({ offsets: [0, 2], columns: [0], ops: [0], values: [1] }), domain))).toBe('PROTOCOL_VIOLATION');
    expect(codeOf(() => decodeLocalQuery(wire({ offsets: [0, 1], columns: [0], ops: [6], values: [1] }), domain))).toBe('PROTOCOL_VIOLATION');
    expect(codeOf(() => decodeLocalQuery(wire({ offsets: [0, 1], columns: [0, 1], ops: [0], values: [1] }), domain))).toBe('PROTOCOL_VIOLATION');
  });

  it('refuses hostile models and indices (ProtocolViolation / InvalidArgument)', () => {
    const snap = model.snapshot();
    const good: LocalQuery = { kind: 'conditionalL1Scores', candidates: [['a']], conditions: [[]], model: snap };
    const bytes = encodeLocalQuery(good, domain);
    // A cycle instead of a tree, a marginal of the wrong length, negative mass.
    const cyclic: LocalQuery = { ...good, model: { ...snap, edges: snap.edges.map(() => [0, 0] as [number, number]) } };
    expect(codeOf(() => validateLocalQuery(decodeLocalQuery(encodeLocalQuery(cyclic, domain), domain), domain))).toBe('INVALID_ARGUMENT');
    const short = { ...snap, marginals: snap.marginals.map((v, i) => (i === 0 ? v.subarray(1) : v)) };
    expect(codeOf(() => decodeLocalQuery(encodeLocalQuery({ ...good, model: short }, domain), domain))).toBe('PROTOCOL_VIOLATION');
    const negative = { ...snap, marginals: snap.marginals.map((v, i) => (i === 0 ? Float64Array.from(v, (x, k) => (k === 0 ? -1 : x)) : v)) };
    expect(codeOf(() => validateLocalQuery({ ...good, model: negative }, domain))).toBe('INVALID_ARGUMENT');
    // A column index outside the domain, and garbage.
    const wider = new Domain([...domain.attrs, 'z'], [...domain.shape, 2]);
    expect(codeOf(() => decodeLocalQuery(encodeLocalQuery({ kind: 'marginals', attrSets: [['z']] }, wider), domain))).toBe('PROTOCOL_VIOLATION');
    expect(codeOf(() => decodeLocalQuery(Buffer.from('{"kind": '), domain))).toBe('PROTOCOL_VIOLATION');
    expect(decodeLocalQuery(bytes, domain).kind).toBe('conditionalL1Scores');
  });

  it('chunks: split, reassembled against the digest; gaps, duplicates and a wrong digest refused', () => {
    const query = encodeLocalQuery({ kind: 'conditionalL1Scores', candidates: [['a']], conditions: [[]], model: model.snapshot() }, domain);
    const chunks = splitQuery(query, 100);
    expect(chunks.length).toBeGreaterThan(3);
    const a = new QueryAssembler('r');
    for (let i = 0; i < chunks.length - 1; i++) a.accept(i, chunks.length, chunks[i]);
    expect(Buffer.from(a.finish(chunks.length, chunks[chunks.length - 1], queryDigest(query))).equals(Buffer.from(query))).toBe(true);
    const gap = new QueryAssembler('r');
    expect(codeOf(() => gap.accept(1, chunks.length, chunks[1]))).toBe('PROTOCOL_VIOLATION');
    const dup = new QueryAssembler('r');
    dup.accept(0, chunks.length, chunks[0]);
    expect(codeOf(() => dup.accept(0, chunks.length, chunks[0]))).toBe('PROTOCOL_VIOLATION');
    const wrong = new QueryAssembler('r');
    for (let i = 0; i < chunks.length - 1; i++) wrong.accept(i, chunks.length, chunks[i]);
    expect(codeOf(() => wrong.finish(chunks.length, chunks[chunks.length - 1], queryDigest(Buffer.from('other'))))).toBe('PROTOCOL_VIOLATION');
    expect(codeOf(() => new QueryAssembler('r').finish(1, query, queryDigest(query.subarray(1))))).toBe('PROTOCOL_VIOLATION');
  });
});

/** The conditioning AIM uses: one column, when the reference stays within 4 x 10,000 cells. */
function domainConditioned(d: Domain, c: readonly string[]): string[] {
  return d.size(c) * d.sizeOf('c0') <= 40000 ? ['c0'] : [];
}

describe('gradientStep on the wire', () => {
  const domain = new Domain(['a'], [2]);
  const plan = planGradientRound({ dimension: 10, clipNorm: 1, sampleRate: 0.1, rounds: 5, epsilon: 1, delta: 1e-9, parties: 3, colluders: 0, dropouts: 0, bits: 32, rotationSeed: 'r', expectedBatchSize: 50 });
  const weights = Float32Array.from({ length: 10 }, (_, i) => (i - 4.5) / 7);

  it('round-trips the plan field by field and the weights bit for bit (4 bytes a parameter)', () => {
    const bytes = encodeLocalQuery({ kind: 'gradientStep', round: 2, weights, plan }, domain);
    const back = decodeLocalQuery(bytes, domain);
    expect(back).toEqual({ kind: 'gradientStep', round: 2, weights, plan });
    expect(bytes.byteLength).toBeLessThan(40 + 4 * weights.length + 200);
  });

  it('refuses an unspecified rounding unit and a ring of another size', () => {
    const wire = GradientStepQuery.fromPartial({ round: 1, weights: Buffer.alloc(40), plan: { ...gradientPlanToWire(plan), rounding: GradientRounding.GRADIENT_ROUNDING_UNSPECIFIED } });
    const enc = (q: GradientStepQuery) => WireQuery.encode({ kind: { $case: 'gradientStep', value: q } }).finish();
    expect(() => decodeLocalQuery(enc(wire), domain)).toThrow(/rounding/);
    expect(() => decodeLocalQuery(enc({ ...wire, plan: { ...gradientPlanToWire(plan), bits: 16 } }), domain)).toThrow(/bits/);
  });
});

