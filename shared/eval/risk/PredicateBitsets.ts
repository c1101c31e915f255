// PredicateBitsets: per-column bitsets of a coded table so that a conjunction of predicates
// ("age >= 70 AND sex = F AND hours = 12") is counted with a few word-wise ANDs and popcounts.
// Equality sets for every column; cumulative "code <= v" sets for ordinal columns.
import type { CodeTable } from '../CodeTable.js';

/** One condition on one column: =, != on any column; <, <=, >, >= on ordinal columns only. */
export interface Predicate {
  readonly col: number;
  readonly op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
  readonly value: number;
}

/** The bitsets of one table. */
export interface PredicateBitsets {
  readonly rows: number;
  readonly words: number;
  /** eq[c][v * words + w]: bit i set when row 32w+i has code v in column c. */
  readonly eq: readonly Int32Array[];
  /** le[c][v * words + w]: rows with code <= v; null for non-ordinal columns. */
  readonly le: readonly (Int32Array | null)[];
  /** Mask of valid bits in the last word. */
  readonly tail: number;
}

/** Builds the bitsets of `t`; `ordinal[c]` enables order predicates on column c. */
export function buildPredicateBitsets(t: CodeTable, ordinal: readonly boolean[]): PredicateBitsets {
  const words = Math.max(1, Math.ceil(t.rows / 32));
  const eq = t.data.map((col, c) => {
    const b = new Int32Array(t.sizes[c] * words);
    for (let r = 0; r < t.rows; r++) b[col[r] * words + (r >>> 5)] |= 1 << (r & 31);
    return b;
  });
  const le = eq.map((e, c) => {
    if (!ordinal[c]) return null;
    const b = Int32Array.from(e);
    for (let v = 1; v < t.sizes[c]; v++) for (let w = 0; w < words; w++) b[v * words + w] |= b[(v - 1) * words + w];
    return b;
  });
  const tail = t.rows % 32 === 0 ? -1 : (1 << t.rows % 32) - 1;
  return { rows: t.rows, words, eq, le, tail };
}

function word(b: PredicateBitsets, p: Predicate, w: number): number {
  const { words } = b;
  const le = b.le[p.col];
  switch (p.op) {
    case 'eq':
      return b.eq[p.col][p.value * words + w];
    case 'ne':
      return ~b.eq[p.col][p.value * words + w];
    case 'le':
      return le ? le[p.value * words + w] : 0;
    case 'lt':
      return le && p.value > 0 ? le[(p.value - 1) * words + w] : 0;
    case 'gt':
      return le ? ~le[p.value * words + w] : 0;
    case 'ge':
      return le ? (p.value > 0 ? ~le[(p.value - 1) * words + w] : -1) : 0;
  }
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

/** Rows matching every predicate, counted up to `cap` (the count stops growing once it reaches cap). */
export function countMatches(b: PredicateBitsets, query: readonly Predicate[], cap = Infinity): number {
  let n = 0;
  for (let w = 0; w < b.words; w++) {
    let x = w === b.words - 1 ? b.tail : -1;
    for (const p of query) {
      x &= word(b, p, w);
      if (x === 0) break;
    }
    if (x !== 0) {
      n += popcount(x);
      if (n >= cap) return n;
    }
  }
  return n;
}

/** A stable text key of a query (for de-duplicating generated queries). */
export function queryKey(query: readonly Predicate[]): string {
  return [...query]
    .sort((a, b) => a.col - b.col)
    .map((p) => `${p.col}${p.op}${p.value}`)
    .join('&');
}
