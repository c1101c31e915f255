// pooledSinglingOut: singling out with a bounded per-record sensitivity, for the pooled risk release —
// predicates packed into families no two of whose predicates any record satisfies, counted per family.
//
// Why Anonymeter's count has no bound. A predicate singles out a table when it matches exactly one row;
// one added record flips "exactly one" for EVERY predicate it matches (0 -> 1 or 1 -> 2), and a record
// can match all of them. Capping each row's own successes does not help: the added row also BREAKS the
// successes of the other rows it shares predicates with, without bound. What bounds it is the predicate
// set's depth: in a family of pairwise disjoint predicates (no record in the whole domain satisfies two
// of them: `predicatesDisjoint`, decided exactly on the conditions, not on the data) a record matches at
// most one predicate, so it moves the family's success count by at most 1 per table row it adds or removes.
//
// Sizes. Whether a predicate singles out depends on the table's size, so (as per silo) training and
// control are compared at the same size: both tables are taken without duplicate rows (distinctRows),
// s = min(distinct training, distinct control) rows, and each side keeps its s first rows in a public
// total order of records (`comparedOrder`: SHA-256 of the seed and the codes, ties by the codes). Block
// of the vector, for F families (after pooledRiskCounts' 4m + 4 entries; `pooledRiskLayout`):
//   soTrain[0..F-1]    successes of each family on the s compared training rows
//   soControl[0..F-1]  the same on the s compared control rows
//   soSilos            min(s, SINGLING_OUT_ROWS_UNIT)  (= the unit when the silo compares at least that
//                      many rows: its sum over silos / the unit counts the silos that attacked, the
//                      number of attacks being predicates x silos; a silo below the unit counts pro rata)
//
// Sensitivity (the model of pooledRiskCounts: one record added to or removed from a silo's training or
// its control rows; the synthetic rows and the predicates are public and fixed). Adding record x:
//  - x duplicates a row of its table: the distinct tables, hence everything, are unchanged.
//  - x is a new training row and distinct training >= distinct control: s is unchanged; the compared
//    training rows either stay or lose their last row and gain x (order is a fixed total order). Two
//    row changes, each flipping at most one predicate of each family: |d soTrain[f]| <= 2, nothing else.
//  - x is a new training row and distinct training < distinct control: s grows by 1; the compared
//    training rows gain x, the compared control rows gain one row: |d soTrain[f]|, |d soControl[f]| <= 1,
//    |d soSilos| <= 1.
//  - x is a control row: the same two cases with the sides exchanged.
//  Removing x is the reverse of adding it. Squared L2 of the block <= max(4F, 2F + 1) = 4F (F >= 1);
//  pooledRiskCounts' own entries move by at most m + 2 (they depend on x alone), so one side's move:
//    sqrt(m + 2 + 4F); with the control split's own moves the release's Delta_2 is larger
//    (pooledRiskSensitivity: sqrt(2m + 5 + 10F + 1), times maxSilosPerIndividual).
// Checked by brute force in pooledSinglingOut.test.ts. The party verifies disjointness and the limits
// itself (`verifySinglingOutFamilies`): the coordinator cannot hand it overlapping "families".
import { createHash } from 'node:crypto';
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import { selectRows, type CodeTable } from '../CodeTable.js';
import { distinctRows } from './distinctRows.js';
import { seededRandomSource } from '../../dp/random/RandomSource.js';
import { uniformInt } from '../../dp/random/uniform.js';
import { buildPredicateBitsets, countMatches, type Predicate, type PredicateBitsets } from './PredicateBitsets.js';
import { asRowChunks, type RowChunks } from '../RowChunks.js';
import { marginalCells } from '../marginalCounts.js';

/** A family: predicates (each a conjunction of conditions) of which no record satisfies two. */
export type SinglingOutFamily = readonly (readonly Predicate[])[];

/** At most this many families (each costs 4 in the squared sensitivity). */
export const MAX_SINGLING_OUT_FAMILIES = 16;
/** At most this many predicates over all families (the party checks disjointness pairwise). */
export const MAX_SINGLING_OUT_PREDICATES = 4000;
/** Compared rows at which a silo counts as one whole silo in the number of attacks. */
export const SINGLING_OUT_ROWS_UNIT = 50;
/** Families the coordinator asks for by default (Delta_2 grows from sqrt(2m + 5) to sqrt(2m + 5 + 10F + 1)). */
export const DEFAULT_SINGLING_OUT_FAMILIES = 4;

const OPS: readonly Predicate['op'][] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

/** The codes of column-size `size` a condition allows (a bitmap). */
function allowed(p: Predicate, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let v = 0; v < size; v++) {
    const ok = p.op === 'eq' ? v === p.value : p.op === 'ne' ? v !== p.value : p.op === 'lt' ? v < p.value : p.op === 'le' ? v <= p.value : p.op === 'gt' ? v > p.value : v >= p.value;
    out[v] = ok ? 1 : 0;
  }
  return out;
}

/** Per constrained column, the codes a conjunction allows (the intersection of its conditions there); unsatisfiable when one is empty. */
interface AllowedSets {
  readonly byColumn: Map<number, Uint8Array>;
  readonly satisfiable: boolean;
}

function allowedSets(q: readonly Predicate[], sizes: readonly number[]): AllowedSets {
  const byColumn = new Map<number, Uint8Array>();
  for (const p of q) {
    const a = allowed(p, sizes[p.col]);
    const prev = byColumn.get(p.col);
    if (prev) for (let v = 0; v < a.length; v++) prev[v] &= a[v];
    else byColumn.set(p.col, a);
  }
  return { byColumn, satisfiable: [...byColumn.values()].every((set) => set.includes(1)) };
}

function disjointSets(x: AllowedSets, y: AllowedSets): boolean {
  // Unsatisfiable on its own: matches no record, so disjoint from anything.
  if (!x.satisfiable || !y.satisfiable) return true;
  const [a, b] = [x.byColumn, y.byColumn];
  for (const [c, sa] of a) {
    const sb = b.get(c);
    if (!sb) continue;
    let meet = false;
    for (let v = 0; v < sa.length && !meet; v++) meet = sa[v] === 1 && sb[v] === 1;
    if (!meet) return true;
  }
  // Every shared column has a common code and the other columns are free: a record satisfies both.
  return false;
}

/** True when no record of the domain (column sizes `sizes`) satisfies both conjunctions. Exact. */
export function predicatesDisjoint(a: readonly Predicate[], b: readonly Predicate[], sizes: readonly number[]): boolean {
  return disjointSets(allowedSets(a, sizes), allowedSets(b, sizes));
}

/**
 * Throws InvalidArgument unless `families` are well-formed for a domain of column sizes `sizes`: at
 * most MAX_SINGLING_OUT_FAMILIES non-empty families, at most MAX_SINGLING_OUT_PREDICATES predicates,
 * each a non-empty conjunction of known conditions (column, op, code in range), and within each
 * family no two predicates that one record could satisfy together. The sensitivity rests on the last.
 */
export function verifySinglingOutFamilies(families: readonly SinglingOutFamily[], sizes: readonly number[]): void {
  const bad = (msg: string): never => {
    throw new FedsynthError(ErrorCode.InvalidArgument, `singling out: ${msg}`);
  };
  if (!Array.isArray(families)) bad('families must be a list');
  if (families.length > MAX_SINGLING_OUT_FAMILIES) bad(`${families.length} families, at most ${MAX_SINGLING_OUT_FAMILIES}`);
  const total = families.reduce((s, f) => s + (Array.isArray(f) ? f.length : 0), 0);
  if (total > MAX_SINGLING_OUT_PREDICATES) bad(`${total} predicates, at most ${MAX_SINGLING_OUT_PREDICATES}`);
  families.forEach((family, f) => {
    if (!Array.isArray(family) || family.length === 0) bad(`family ${f} has no predicates`);
    const sets = family.map((q, i) => {
      if (!Array.isArray(q) || q.length === 0) bad(`family ${f} predicate ${i} has no conditions`);
      for (const p of q) {
        if (!Number.isInteger(p?.col) || p.col < 0 || p.col >= sizes.length) bad(`family ${f} predicate ${i}: unknown column ${String(p?.col)}`);
        if (!OPS.includes(p.op)) bad(`family ${f} predicate ${i}: unknown operator ${String(p.op)}`);
        if (!Number.isInteger(p.value) || p.value < 0 || p.value >= sizes[p.col]) bad(`family ${f} predicate ${i}: code ${String(p.value)} outside column ${p.col}'s ${sizes[p.col]} codes`);
      }
      return allowedSets(q, sizes);
    });
    for (let i = 0; i < sets.length; i++) {
      for (let j = i + 1; j < sets.length; j++) {
        if (!disjointSets(sets[i], sets[j])) bad(`family ${f}: predicates ${i} and ${j} can match the same record`);
      }
    }
  });
}

/** Indices of `t`'s rows in the public total order the compared rows are taken in (see header). */
function comparedOrder(t: CodeTable, seed: string): number[] {
  const keys: Buffer[] = [];
  const row = Buffer.alloc(4 * t.columns.length);
  for (let r = 0; r < t.rows; r++) {
    t.data.forEach((col, c) => row.writeInt32BE(col[r], 4 * c));
    // digest, then the codes themselves: distinct rows never tie.
    keys.push(Buffer.concat([createHash('sha256').update('fedsynth/pooled-singling-out/v1\0').update(seed).update('\0').update(row).digest(), row]));
  }
  return Array.from({ length: t.rows }, (_, r) => r).sort((a, b) => Buffer.compare(keys[a], keys[b]));
}

function familySuccesses(bits: PredicateBitsets, families: readonly SinglingOutFamily[]): number[] {
  return families.map((family) => family.reduce((n, q) => n + (countMatches(bits, q, 2) === 1 ? 1 : 0), 0));
}

/**
 * The singling-out block of one silo's vector (2F + 1 entries, layout above): `train` and `control`
 * are its rows as codes, `families` verified by the caller, `seed` fixes the compared rows' order.
 */
export function pooledSinglingOutCounts(train: CodeTable, control: CodeTable, families: readonly SinglingOutFamily[], seed: string): Float64Array {
  const F = families.length;
  const out = new Float64Array(2 * F + 1);
  const t = distinctRows(train);
  const c = distinctRows(control);
  const s = Math.min(t.rows, c.rows);
  // Every column may carry order conditions: codes are integers whatever the column's kind.
  const all = train.columns.map(() => true);
  const compared = (x: CodeTable) => buildPredicateBitsets(selectRows(x, comparedOrder(x, seed).slice(0, s)), all);
  if (s > 0) {
    out.set(familySuccesses(compared(t), families), 0);
    out.set(familySuccesses(compared(c), families), F);
  }
  out[2 * F] = Math.min(s, SINGLING_OUT_ROWS_UNIT);
  return out;
}

/**
 * The coordinator's families for a delivered synthetic table: `families` distinct column triples (pairs
 * for a two-column domain) drawn with `seed`; family f holds one equality predicate per cell of its
 * columns that exactly one synthetic row falls in (Anonymeter's multivariate predicates, read off the
 * synthetic rows, with = on every column so that the cells, hence the predicates, are disjoint), in
 * the order of those rows. The rows are read in chunks (one pass per round of candidate triples: each
 * cell's count and first row), so memory is the triples' cells, not the rows.
 */
export function pooledSinglingOutFamilies(synthetic: CodeTable | RowChunks, seed: string, families = DEFAULT_SINGLING_OUT_FAMILIES): SinglingOutFamily[] {
  const synth = asRowChunks(synthetic);
  const m = synth.columns.length;
  const k = Math.min(3, m);
  const rng = seededRandomSource(seed, 'risk/pooled-singling-out/columns');
  const perFamily = Math.floor(MAX_SINGLING_OUT_PREDICATES / Math.max(1, families));
  const out: SinglingOutFamily[] = [];
  const used = new Set<string>();
  // Candidates per pass: as many as FAMILY_SEARCH_CELLS cells of the largest triple allow, at least
  // as many as families are missing. The families are the first non-empty candidates in draw order
  // whatever the rounds (the draws do not depend on them): drawing more per pass changes nothing but
  // the number of passes (one per round of 4 before: up to 100 passes over the rows).
  const largest = [...synth.sizes].sort((a, b) => b - a).slice(0, k).reduce((a, b) => a * b, 1);
  const perPass = Math.max(1, Math.floor(FAMILY_SEARCH_CELLS / largest));
  let attempt = 0;
  while (out.length < families && attempt < 100 * families) {
    // The next candidate triples in draw order.
    const round: number[][] = [];
    for (; round.length < Math.max(perPass, families - out.length) && attempt < 100 * families; attempt++) {
      const cols: number[] = [];
      while (cols.length < k) {
        const c = uniformInt(rng, m);
        if (!cols.includes(c)) cols.push(c);
      }
      cols.sort((a, b) => a - b);
      if (used.has(cols.join(','))) continue;
      used.add(cols.join(','));
      round.push(cols);
    }
    for (const family of singletonCells(synth, round, perFamily)) {
      if (family.length > 0 && out.length < families) out.push(family);
    }
  }
  return out;
}

/** Cells the family search counts in one pass over the rows (12 bytes a cell: 12 MB). */
export const FAMILY_SEARCH_CELLS = 1 << 20;

/** Per column set: one equality predicate per cell exactly one row falls in, ordered by that row, at most `max`. */
function singletonCells(synth: RowChunks, sets: readonly number[][], max: number): Predicate[][][] {
  const counts = sets.map((cols) => new Int32Array(marginalCells(synth.sizes, cols)));
  const first = sets.map((cols) => new Float64Array(marginalCells(synth.sizes, cols)).fill(-1));
  let start = 0;
  for (const chunk of synth.chunks()) {
    const cell = new Float64Array(chunk.rows);
    sets.forEach((cols, i) => {
      marginalKeys(chunk, cols, cell);
      const [n, f] = [counts[i], first[i]];
      for (let r = 0; r < chunk.rows; r++) {
        const x = cell[r];
        if (n[x]++ === 0) f[x] = start + r;
      }
    });
    start += chunk.rows;
  }
  return sets.map((cols, i) => {
    const cells: number[] = [];
    counts[i].forEach((n, x) => n === 1 && cells.push(x));
    cells.sort((a, b) => first[i][a] - first[i][b]);
    return cells.slice(0, max).map((x) => {
      const values: number[] = [];
      for (let j = cols.length - 1; j >= 0; j--) {
        values[j] = x % synth.sizes[cols[j]];
        x = Math.floor(x / synth.sizes[cols[j]]);
      }
      return cols.map((c, j) => ({ col: c, op: 'eq' as const, value: values[j] }));
    });
  });
}

/** Each row's cell index in the marginal over `cols` (marginalCounts' cell order). */
function marginalKeys(t: CodeTable, cols: readonly number[], out: Float64Array): void {
  out.fill(0);
  for (const c of cols) {
    const col = t.data[c];
    const size = t.sizes[c];
    for (let r = 0; r < t.rows; r++) out[r] = out[r] * size + col[r];
  }
}
