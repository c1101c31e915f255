// encodeValue: the reference encoder of one raw cell (a string, or null) into a column code.
// The SQL encoders in party-agent/data must agree with it exactly (tests check both on the same data).
import type { Column } from './ConsortiumSchema.js';
import { columnLayout } from './columnLayout.js';
import { parseIsoDate, periodOf } from './civilDate.js';

/** Why a cell has no code under the schema's own policies. */
export type InvalidReason = 'missing' | 'out-of-domain' | 'wrong-type';

/** Negative sentinel codes used by the SQL encoders for the three reasons (stable). */
export const InvalidCode = { missing: -1, 'out-of-domain': -2, 'wrong-type': -3 } as const satisfies Record<InvalidReason, number>;

export type EncodeResult = { readonly ok: true; readonly code: number } | { readonly ok: false; readonly reason: InvalidReason };

/** Decimal numbers only: NaN, Infinity, hex, thousands separators are wrong-type. */
export const NUMBER_PATTERN = '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$';
/** Integers, optionally written with a zero fraction (`3.0`, as some databases print them). */
export const INTEGER_PATTERN = '^[+-]?[0-9]+([.]0*)?$';
const numberRe = new RegExp(NUMBER_PATTERN);
const integerRe = new RegExp(INTEGER_PATTERN);

/** Strips leading and trailing ASCII spaces (the same as SQL `trim`). */
export function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 32) a++;
  while (b > a && s.charCodeAt(b - 1) === 32) b--;
  return s.slice(a, b);
}

/** Index of the bin [e_i, e_{i+1}) holding x (the last bin is closed), or -1 below / m above. */
export function binIndex(edges: readonly number[], x: number): number {
  const m = edges.length - 1;
  if (x < edges[0]!) return -1;
  if (x > edges[m]!) return m;
  let lo = 0;
  let hi = m - 1; // answer in [lo, hi]
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (edges[mid]! <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function fail(reason: InvalidReason): EncodeResult {
  return { ok: false, reason };
}

/** Maps an out-of-domain value through the column policy (`below` says on which side for clamp). */
function outOfDomain(col: Column, below: boolean, valueCodes: number): EncodeResult {
  const lay = columnLayout(col);
  switch (col.outOfDomain) {
    case 'other':
      return { ok: true, code: lay.other! };
    case 'missing':
      return { ok: true, code: lay.missing! };
    case 'clamp':
      return { ok: true, code: below ? 0 : valueCodes - 1 };
    case 'invalid':
      return fail('out-of-domain');
  }
}

/** Position of `index` in [0, n): in range, or out of domain below/above. */
function ranged(col: Column, index: number, n: number): EncodeResult {
  if (index < 0) return outOfDomain(col, true, n);
  if (index >= n) return outOfDomain(col, false, n);
  return { ok: true, code: index };
}

/** Encodes one raw cell (null = SQL NULL) of a column. */
export function encodeValue(col: Column, raw: string | null): EncodeResult {
  const lay = columnLayout(col);
  const v = raw === null ? null : trimSpaces(raw);
  if (v === null || col.missingTokens.includes(v)) {
    if (col.missing === 'bin') return { ok: true, code: lay.missing! };
    if (col.missing === 'other') return { ok: true, code: lay.other! };
    return fail('missing');
  }
  switch (col.type) {
    case 'categorical': {
      const i = col.categories.indexOf(v);
      return i >= 0 ? { ok: true, code: i } : outOfDomain(col, false, lay.valueCodes);
    }
    case 'numeric': {
      if (!numberRe.test(v)) return fail('wrong-type');
      return ranged(col, binIndex(col.edges, Number(v)), lay.valueCodes);
    }
    case 'integer': {
      if (!integerRe.test(v)) return fail('wrong-type');
      const x = Number(v);
      if (col.edges) return ranged(col, binIndex(col.edges, x), lay.valueCodes);
      return ranged(col, x - col.min!, lay.valueCodes);
    }
    case 'date': {
      const d = parseIsoDate(v);
      if (!d) return fail('wrong-type');
      const lo = periodOf(col.granularity, parseIsoDate(col.min)!);
      return ranged(col, periodOf(col.granularity, d) - lo, lay.valueCodes);
    }
  }
}
