// marginalQuery: one SQL statement (GROUPING SETS) computing a batch of marginals over encoded codes,
// and the decoding of its result rows into Float64Array counts in the model's cell order.
import type { Schema } from '../../shared/schema/ConsortiumSchema.js';
import { columnLayout } from '../../shared/schema/columnLayout.js';
import type { OnInvalid } from '../../shared/schema/ValidationReport.js';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { encodeColumnSql, valueColumnSql, type Dialect, type RawKind } from './sqlEncoding.js';

/** How a schema column is read from the source relation. */
export interface RawColumn {
  readonly ref: string;
  readonly kind: RawKind;
}

/** The alias of schema column i's code in generated SQL. */
export function codeAlias(i: number): string {
  return `k${i}`;
}

/** The alias of schema column i's numeric value (valueColumnSql) in generated SQL. */
export function valueAlias(i: number): string {
  return `v${i}`;
}

/**
 * A SELECT of the codes of the given schema columns (aliases `k<i>`) from `from`, with the
 * `onInvalid` policy applied: `drop-row` keeps rows whose codes are all valid, `map-to-missing`
 * replaces invalid codes by the column's missing bin, `fail` assumes validation passed. `values`
 * (numeric/integer columns) adds each one's value as a double (aliases `v<i>`) after the codes.
 */
export function encodedSelect(
  schema: Schema,
  raw: readonly RawColumn[],
  from: string,
  dialect: Dialect,
  columns: readonly number[],
  policy: OnInvalid,
  values: readonly number[] = [],
): string {
  const valueSql = values.map((i) => `${valueColumnSql(schema.columns[i]!, raw[i]!.ref, raw[i]!.kind, dialect)} AS ${valueAlias(i)}`);
  if (policy === 'drop-row') {
    const all = schema.columns.map((c, i) => `${encodeColumnSql(c, raw[i]!.ref, raw[i]!.kind, dialect)} AS ${codeAlias(i)}`);
    const where = schema.columns.map((_, i) => `${codeAlias(i)} >= 0`).join(' AND ');
    const cols = [...columns.map(codeAlias), ...values.map(valueAlias)].join(', ') || '1 AS one';
    return `SELECT ${cols} FROM (SELECT ${[...all, ...valueSql].join(', ')} FROM ${from}) enc WHERE ${where}`;
  }
  const cols = columns.map((i) => {
    const e = encodeColumnSql(schema.columns[i]!, raw[i]!.ref, raw[i]!.kind, dialect);
    if (policy === 'fail') return `${e} AS ${codeAlias(i)}`;
    const m = columnLayout(schema.columns[i]!).missing;
    return m === undefined ? `${e} AS ${codeAlias(i)}` : `CASE WHEN (${e}) < 0 THEN ${m} ELSE ${e} END AS ${codeAlias(i)}`;
  });
  return `SELECT ${[...cols, ...valueSql].join(', ') || '1 AS one'} FROM ${from}`;
}

/** A checked batch: attribute sets as schema column indices, deduplicated. */
export interface MarginalPlan {
  /** Distinct attribute sets (schema column indices, ascending). */
  readonly sets: readonly (readonly number[])[];
  /** For each requested set, the index of its distinct set. */
  readonly requestToSet: readonly number[];
  /** Union of the columns, ascending. */
  readonly columns: readonly number[];
}

/** Checks names and order (attrs must follow schema column order, no repeats) and deduplicates. */
export function planMarginals(schema: Schema, attrSets: readonly (readonly string[])[]): MarginalPlan {
  const index = new Map(schema.columns.map((c, i) => [c.name, i]));
  const sets: number[][] = [];
  const seen = new Map<string, number>();
  const requestToSet: number[] = [];
  const used = new Set<number>();
  for (const attrs of attrSets) {
    const ids = attrs.map((a) => {
      const i = index.get(a);
      if (i === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, `unknown attribute "${a}"`, { attr: a });
      return i;
    });
    for (let j = 1; j < ids.length; j++) {
      if (ids[j]! <= ids[j - 1]!) {
        throw new FedsynthError(ErrorCode.InvalidArgument, `attributes must be distinct and in schema column order: ${attrs.join(', ')}`, {
          attrs: [...attrs],
        });
      }
    }
    const key = ids.join(',');
    let s = seen.get(key);
    if (s === undefined) {
      s = sets.length;
      seen.set(key, s);
      sets.push(ids);
      ids.forEach((i) => used.add(i));
    }
    requestToSet.push(s);
  }
  return { sets, requestToSet, columns: [...used].sort((a, b) => a - b) };
}

/** GROUPING() takes at most this many arguments in the engines we target (PostgreSQL: 31). */
const MAX_GROUPING_COLUMNS = 31;

/**
 * Estimated result rows one GROUPING SETS statement may return at most. DuckDB keeps a hash
 * table per grouping set and the driver materialises every result row, so memory grows with the
 * statement's groups, not with the table. Measured on the 32,561-row Adult CSV with 455 sets of
 * 3 columns plus income (an AIM selection release; openSource + marginals, process RSS): one statement
 * peaked at 2,150 MB in 2.3 s; a cap of 500k rows at 1,098 MB in 2.5 s, 100k at 572 MB in 3.3 s,
 * 50k at 448 MB in 5.0 s. A plan under the cap (all 2-way marginals of Adult: 12,492 cells) is
 * still one table scan.
 */
export const MAX_RESULT_ROWS = 100_000;

/**
 * Splits a plan's distinct sets into groups whose column unions fit in one GROUPING() call and
 * whose estimated result rows (per set: min(cells, rowCount), the most distinct groups it can
 * have) stay within `maxRows` (a set larger than that on its own gets its own statement).
 */
export function chunkSets(
  sets: readonly (readonly number[])[],
  sizes?: readonly number[],
  rowCount = Infinity,
  maxRows = MAX_RESULT_ROWS,
): number[][] {
  const chunks: number[][] = [];
  let cur: number[] = [];
  let cols = new Set<number>();
  let rows = 0;
  sets.forEach((s, si) => {
    const next = new Set([...cols, ...s]);
    const est = sizes === undefined ? 0 : Math.min(rowCount, s.reduce((p, c) => p * (sizes[c] ?? 1), 1));
    if ((next.size > MAX_GROUPING_COLUMNS || rows + est > maxRows) && cur.length > 0) {
      chunks.push(cur);
      cur = [];
      cols = new Set(s);
      rows = 0;
    } else cols = next;
    cur.push(si);
    rows += est;
  });
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}

/** Splits columns into runs whose code products stay below 2^62, each packed into one BIGINT key. */
function keyGroups(columns: readonly number[], sizes: readonly number[]): number[][] {
  const groups: number[][] = [];
  let cur: number[] = [];
  let prod = 1;
  for (const c of columns) {
    if (cur.length > 0 && prod * sizes[c]! >= 2 ** 62) {
      groups.push(cur);
      cur = [];
      prod = 1;
    }
    cur.push(c);
    prod *= sizes[c]!;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

/**
 * The GROUPING SETS statement for some sets over `encoded` (a SELECT with `k<i>` columns).
 * Result columns: g (GROUPING bitmask over `columns`, first column = most significant bit),
 * then one code per column (NULL where aggregated out), then n = count.
 *
 * Pre-aggregation: the codes of a row are packed into few BIGINT keys (mixed radix, exact below
 * 2^62), one hash aggregate counts distinct keys, and the grouping sets then run over those
 * distinct tuples, which are far fewer than rows when the domain is small relative to the data.
 */
export function groupingSetsSql(
  encoded: string,
  sets: readonly (readonly number[])[],
  columns: readonly number[],
  sizes: readonly number[],
  dialect: Dialect,
): string {
  if (columns.length === 0) return `SELECT 0 AS g, count(*) AS n FROM (${encoded}) e`;
  const div = (a: string, b: number): string => (dialect === 'duckdb' ? `(${a} // ${b})` : `(${a} / ${b})`);
  const groups = keyGroups(columns, sizes);
  const packs: string[] = [];
  const unpack: string[] = [];
  groups.forEach((g, gi) => {
    let key = '';
    let stride = 1;
    const strides: number[] = [];
    for (let j = g.length - 1; j >= 0; j--) {
      strides[j] = stride;
      stride *= sizes[g[j]!]!;
    }
    g.forEach((c, j) => {
      const term = strides[j] === 1 ? `CAST(${codeAlias(c)} AS BIGINT)` : `CAST(${codeAlias(c)} AS BIGINT) * ${strides[j]}`;
      key = key ? `${key} + ${term}` : term;
      unpack.push(`CAST(${div(`p${gi}`, strides[j]!)} % ${sizes[c]} AS INTEGER) AS ${codeAlias(c)}`);
    });
    packs.push(`${key} AS p${gi}`);
  });
  const keys = groups.map((_, gi) => `p${gi}`).join(', ');
  const tuples = `SELECT ${keys}, count(*) AS n FROM (SELECT ${packs.join(', ')} FROM (${encoded}) e) r GROUP BY ${keys}`;
  const decoded = `SELECT ${unpack.join(', ')}, n FROM (${tuples}) t`;
  const cols = columns.map(codeAlias).join(', ');
  const gs = sets.map((s) => `(${s.map(codeAlias).join(', ')})`).join(', ');
  return `SELECT GROUPING(${cols}) AS g, ${cols}, sum(n) AS n FROM (${decoded}) d GROUP BY GROUPING SETS (${gs})`;
}

/** The GROUPING() mask of a set: bit (columns.length-1-j) is 1 when columns[j] is aggregated out. */
export function groupingMask(set: readonly number[], columns: readonly number[]): number {
  let mask = 0;
  columns.forEach((c, j) => {
    if (!set.includes(c)) mask |= 1 << (columns.length - 1 - j);
  });
  return mask;
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return Number(v);
  throw new FedsynthError(ErrorCode.Internal, `unexpected value in marginal result: ${typeof v}`);
}

/** Fills count arrays (row-major, first attribute slowest) from GROUPING SETS result rows. */
export function fillCounts(
  schema: Schema,
  sets: readonly (readonly number[])[],
  columns: readonly number[],
  rows: readonly (readonly unknown[])[],
  out: Float64Array[],
): void {
  const sizes = schema.columns.map((c) => columnLayout(c).size);
  const byMask = new Map<number, number>();
  sets.forEach((s, si) => byMask.set(groupingMask(s, columns), si));
  const pos = new Map(columns.map((c, j) => [c, j + 1]));
  for (const row of rows) {
    const si = byMask.get(toNumber(row[0]));
    if (si === undefined) continue;
    const set = sets[si]!;
    let idx = 0;
    for (const c of set) {
      const code = toNumber(row[pos.get(c)!]);
      if (!(code >= 0 && code < sizes[c]!)) {
        throw new FedsynthError(ErrorCode.InvalidData, `invalid code ${code} in column "${schema.columns[c]!.name}" reached the marginals`);
      }
      idx = idx * sizes[c]! + code;
    }
    out[si]![idx]! += toNumber(row[row.length - 1]);
  }
}

/** Allocates zeroed count arrays for the sets. */
export function allocateCounts(schema: Schema, sets: readonly (readonly number[])[]): Float64Array[] {
  const sizes = schema.columns.map((c) => columnLayout(c).size);
  return sets.map((s) => new Float64Array(s.reduce((p, c) => p * sizes[c]!, 1)));
}
