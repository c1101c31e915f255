// localQueryWire: LocalQuery (shared/synth) <-> its protobuf bytes (consortium.proto LocalQuery):
// attribute sets as column indices, tables and model marginals as little-endian float64 bytes.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import type { ModelSnapshot } from '../../shared/pgm/ModelSnapshot.js';
import type { AttributeRecode, LocalQuery } from '../../shared/synth/LocalQuery.js';
import { queryDigest } from '../../shared/wire/QueryChunks.js';
import type { Predicate } from '../../shared/eval/risk/PredicateBitsets.js';
import type { SinglingOutFamily } from '../../shared/eval/risk/pooledSinglingOut.js';
import { gradientStepFromWire, gradientStepToWire } from './gradientStepWire.js';
import {
  LocalQuery as WireQuery,
  type AttributeRecode as WireRecode,
  type AttributeSets,
  type ModelSnapshot as WireSnapshot,
  type SinglingOutFamily as WireFamily,
} from '../../proto/generated/fedsynth/consortium/v1/consortium.js';

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Float64 tables concatenated as little-endian bytes. */
export function float64Bytes(tables: readonly ArrayLike<number>[]): Buffer {
  let n = 0;
  for (const t of tables) n += t.length;
  const out = new Float64Array(n);
  let off = 0;
  for (const t of tables) {
    if (t instanceof Float64Array) out.set(t, off);
    else for (let i = 0; i < t.length; i++) out[off + i] = t[i];
    off += t.length;
  }
  if (!LITTLE_ENDIAN) {
    const view = new DataView(out.buffer);
    for (let i = 0; i < n; i++) view.setFloat64(i * 8, out[i], true);
  }
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

/** Little-endian float64 bytes cut into tables of the given lengths (refuses a length mismatch). */
export function float64Tables(bytes: Uint8Array, lengths: readonly number[], field: string): Float64Array[] {
  const total = lengths.reduce((s, n) => s + n, 0);
  if (bytes.byteLength !== total * 8) bad(`${field}: expected ${total} float64 values (${total * 8} bytes), got ${bytes.byteLength} bytes`);
  const all = new Float64Array(total);
  if (LITTLE_ENDIAN) new Uint8Array(all.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < total; i++) all[i] = view.getFloat64(i * 8, true);
  }
  const out: Float64Array[] = [];
  let off = 0;
  for (const n of lengths) {
    out.push(all.subarray(off, off + n));
    off += n;
  }
  return out;
}

/** A compute stage's query fields for `query` sent whole (requestCompute chunks it if large). */
export function computeQueryFields(query: LocalQuery, domain: Domain): { query: Buffer; queryChunkCount: number; querySha256: Buffer } {
  return rawQueryFields(encodeLocalQuery(query, domain));
}

/** The query fields for already encoded (or, in tests, deliberately malformed) query bytes. */
export function rawQueryFields(bytes: Uint8Array): { query: Buffer; queryChunkCount: number; querySha256: Buffer } {
  return { query: Buffer.from(bytes), queryChunkCount: 1, querySha256: queryDigest(bytes) };
}

/** The query's protobuf bytes (consortium.proto LocalQuery). */
export function encodeLocalQuery(query: LocalQuery, domain: Domain): Uint8Array {
  const sets = (s: readonly (readonly string[])[]): AttributeSets => toSets(domain, s);
  let kind: WireQuery['kind'];
  switch (query.kind) {
    case 'marginals':
      kind = { $case: 'marginals', value: { attrSets: sets(query.attrSets), recode: toRecodes(domain, query.recode) } };
      break;
    case 'l1Scores':
      kind = {
        $case: 'l1Scores',
        value: { candidates: sets(query.candidates), reference: float64Bytes(query.oneWays), recode: toRecodes(domain, query.recode), samplingCorrection: query.samplingCorrection === true },
      };
      break;
    case 'conditionalL1Scores':
      kind = {
        $case: 'conditionalL1Scores',
        value: {
          candidates: sets(query.candidates),
          conditions: sets(query.conditions),
          reference: query.model !== undefined ? { $case: 'model', value: toSnapshot(domain, query.model) } : { $case: 'tables', value: float64Bytes(query.reference) },
          samplingCorrection: query.samplingCorrection === true,
          multinomialFloor: query.multinomialFloor === true,
        },
      };
      break;
    case 'pairDependenceScores':
      kind = {
        $case: 'pairDependenceScores',
        value: {
          candidates: sets(query.candidates),
          ...(query.anchor !== undefined ? { anchor: domain.indexOf(query.anchor) } : {}),
          anchorReference: float64Bytes(query.anchorReference ?? []),
          recode: toRecodes(domain, query.recode),
          samplingCorrection: query.samplingCorrection === true,
        },
      };
      break;
    case 'gradientStep':
      kind = { $case: 'gradientStep', value: gradientStepToWire(query) };
      break;
    case 'riskCounts':
      kind = { $case: 'riskCounts', value: { columns: query.columns, syntheticSha256: query.syntheticSha256, singlingOut: (query.singlingOut ?? []).map(familyToWire) } };
      break;
    default: {
      const unknown: never = query;
      bad(`cannot encode query kind ${String((unknown as { kind?: unknown }).kind)}`);
    }
  }
  return WireQuery.encode({ kind }).finish();
}

/**
 * The query from its protobuf bytes. Refuses (ProtocolViolation) undecodable bytes, column
 * indices outside the domain and tables of the wrong size; the caller still runs
 * validateLocalQuery (canonical order, finite and non-negative values, a well-formed model).
 */
export function decodeLocalQuery(bytes: Uint8Array, domain: Domain): LocalQuery {
  let wire: WireQuery;
  try {
    wire = WireQuery.decode(bytes);
  } catch (e) {
    bad(`undecodable query: ${(e as Error).message}`);
  }
  const k = wire.kind;
  if (k === undefined) bad('query without a kind');
  switch (k.$case) {
    case 'marginals': {
      const attrSets = fromSets(domain, k.value.attrSets, 'attr_sets');
      const recode = fromRecodes(domain, k.value.recode);
      return recode.length > 0 ? { kind: 'marginals', attrSets, recode } : { kind: 'marginals', attrSets };
    }
    case 'l1Scores': {
      const candidates = fromSets(domain, k.value.candidates, 'candidates');
      const recode = fromRecodes(domain, k.value.recode);
      const sizes = [...domain.shape];
      for (const r of recode) sizes[domain.indexOf(r.attr)] = r.size;
      const oneWays = float64Tables(k.value.reference, sizes, 'l1_scores.reference');
      return {
        kind: 'l1Scores',
        candidates,
        oneWays,
        ...(recode.length > 0 ? { recode } : {}),
        ...(k.value.samplingCorrection ? { samplingCorrection: true } : {}),
      };
    }
    case 'conditionalL1Scores': {
      const v = k.value;
      const candidates = fromSets(domain, v.candidates, 'candidates');
      const conditions = fromSets(domain, v.conditions, 'conditions');
      if (conditions.length !== candidates.length) bad('one condition per candidate required');
      const base = {
        kind: 'conditionalL1Scores' as const,
        candidates,
        conditions,
        ...(v.samplingCorrection ? { samplingCorrection: true } : {}),
        ...(v.multinomialFloor ? { multinomialFloor: true } : {}),
      };
      const ref = v.reference;
      if (ref === undefined) bad('conditional_l1_scores without a reference');
      if (ref.$case === 'model') return { ...base, model: fromSnapshot(domain, ref.value) };
      const lengths = candidates.map((c, i) => domain.size(domain.union(c, conditions[i])));
      return { ...base, reference: float64Tables(ref.value, lengths, 'conditional_l1_scores.tables') };
    }
    case 'pairDependenceScores': {
      const v = k.value;
      const candidates = fromSets(domain, v.candidates, 'candidates');
      const recode = fromRecodes(domain, v.recode);
      const base = {
        kind: 'pairDependenceScores' as const,
        candidates,
        ...(recode.length > 0 ? { recode } : {}),
        ...(v.samplingCorrection ? { samplingCorrection: true } : {}),
      };
      if (v.anchor === undefined) {
        if (v.anchorReference.byteLength > 0) bad('pair_dependence_scores: anchor_reference without anchor');
        return base;
      }
      if (v.anchor >= domain.attrs.length) bad(`pair_dependence_scores: anchor column ${v.anchor} outside the domain`);
      const anchor = domain.attrs[v.anchor];
      const sizes = [...domain.shape];
      for (const r of recode) sizes[domain.indexOf(r.attr)] = r.size;
      const lengths = candidates.map((c) => (c.length === 2 && c[0] === anchor ? sizes[domain.indexOf(c[1])] : c.length === 2 && c[1] === anchor ? sizes[domain.indexOf(c[0])] : 0));
      const anchorReference = float64Tables(v.anchorReference, lengths, 'pair_dependence_scores.anchor_reference').map((t) => Array.from(t));
      return { ...base, anchor, anchorReference };
    }
    case 'gradientStep':
      return gradientStepFromWire(k.value);
    case 'riskCounts':
      return { kind: 'riskCounts', columns: k.value.columns, syntheticSha256: k.value.syntheticSha256, ...(k.value.singlingOut.length > 0 ? { singlingOut: k.value.singlingOut.map(familyFromWire) } : {}) };
  }
}

const PREDICATE_OPS: readonly Predicate['op'][] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

/** A singling-out family as parallel arrays of conditions cut by per-predicate offsets (consortium.proto SinglingOutFamily). */
function familyToWire(family: SinglingOutFamily): WireFamily {
  const out: WireFamily = { offsets: [0], columns: [], ops: [], values: [] };
  for (const q of family) {
    for (const p of q) {
      out.columns.push(p.col);
      out.ops.push(PREDICATE_OPS.indexOf(p.op));
      out.values.push(p.value);
    }
    out.offsets.push(out.columns.length);
  }
  return out;
}

/** The inverse of familyToWire; refuses inconsistent arrays (the conditions themselves are checked by validateLocalQuery). */
function familyFromWire(w: WireFamily): SinglingOutFamily {
  const n = w.columns.length;
  if (w.ops.length !== n || w.values.length !== n) bad('singling_out: columns, ops and values differ in length');
  if (w.offsets.length < 1 || w.offsets[0] !== 0 || w.offsets[w.offsets.length - 1] !== n) bad('singling_out: offsets must run from 0 to the number of conditions');
  const out: Predicate[][] = [];
  for (let i = 0; i + 1 < w.offsets.length; i++) {
    const [a, b] = [w.offsets[i], w.offsets[i + 1]];
    if (!(b >= a)) bad('singling_out: offsets must not decrease');
    const q: Predicate[] = [];
    for (let j = a; j < b; j++) {
      const op = PREDICATE_OPS[w.ops[j]];
      if (op === undefined) bad(`singling_out: unknown operator ${w.ops[j]}`);
      q.push({ col: w.columns[j], op, value: w.values[j] });
    }
    out.push(q);
  }
  return out;
}

function toSets(domain: Domain, sets: readonly (readonly string[])[]): AttributeSets {
  const columns: number[] = [];
  for (const s of sets) for (const a of s) columns.push(domain.indexOf(a));
  return { sizes: sets.map((s) => s.length), columns };
}

function fromSets(domain: Domain, sets: AttributeSets | undefined, field: string): string[][] {
  const sizes = sets?.sizes ?? [];
  const columns = sets?.columns ?? [];
  const total = sizes.reduce((s, n) => s + n, 0);
  if (total !== columns.length) bad(`${field}: sizes add up to ${total}, ${columns.length} columns given`);
  const out: string[][] = [];
  let off = 0;
  for (const n of sizes) {
    const set: string[] = [];
    for (let i = off; i < off + n; i++) {
      const c = columns[i];
      if (c >= domain.attrs.length) bad(`${field}: column index ${c} outside the domain`);
      set.push(domain.attrs[c]);
    }
    out.push(set);
    off += n;
  }
  return out;
}

function toRecodes(domain: Domain, recode: readonly AttributeRecode[] | undefined): WireRecode[] {
  return (recode ?? []).map((r) => ({ column: domain.indexOf(r.attr), size: r.size, map: [...r.map] }));
}

function fromRecodes(domain: Domain, recode: readonly WireRecode[]): AttributeRecode[] {
  return recode.map((r) => {
    if (r.column >= domain.attrs.length) bad(`recode: column index ${r.column} outside the domain`);
    return { attr: domain.attrs[r.column], map: r.map, size: r.size };
  });
}

function toSnapshot(domain: Domain, s: ModelSnapshot): WireSnapshot {
  return { cliques: toSets(domain, s.cliques), edges: s.edges.flatMap(([a, b]) => [a, b]), total: s.total, marginals: float64Bytes(s.marginals) };
}

function fromSnapshot(domain: Domain, s: WireSnapshot): ModelSnapshot {
  const cliques = fromSets(domain, s.cliques, 'model.cliques');
  if (s.edges.length % 2 !== 0) bad('model.edges: odd number of clique indices');
  const edges: [number, number][] = [];
  for (let i = 0; i < s.edges.length; i += 2) edges.push([s.edges[i], s.edges[i + 1]]);
  // Sizes are checked before allocation: a hostile size cannot make the party allocate more
  // than the bytes it was sent.
  const lengths = cliques.map((c) => domain.size(c));
  return { cliques, edges, total: s.total, marginals: float64Tables(s.marginals, lengths, 'model.marginals') };
}

function bad(message: string): never {
  throw new FedsynthError(ErrorCode.ProtocolViolation, `compute.query: ${message}`, { field: 'compute.query' });
}
