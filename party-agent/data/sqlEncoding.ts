// sqlEncoding: SQL expressions that turn a raw column into its schema code inside the database.
// Mirrors shared/schema/encodeValue.ts exactly (DuckDB and PostgreSQL dialects); rows stay in SQL.
import type { Column } from '../../shared/schema/ConsortiumSchema.js';
import { columnLayout } from '../../shared/schema/columnLayout.js';
import { InvalidCode, NUMBER_PATTERN, INTEGER_PATTERN } from '../../shared/schema/encodeValue.js';
import { parseIsoDate, periodOf } from '../../shared/schema/civilDate.js';

export type Dialect = 'duckdb' | 'postgres';

/** How the source stores a column: as text (CSV, text columns), a native integer or other number. */
export type RawKind = 'text' | 'integer' | 'number';

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A double-quoted SQL identifier. */
export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

function num(x: number): string {
  return `CAST(${sqlString(String(x))} AS DOUBLE PRECISION)`;
}

function regexMatch(d: Dialect, e: string, pattern: string): string {
  return d === 'duckdb' ? `regexp_full_match(${e}, ${sqlString(pattern)})` : `(${e} ~ ${sqlString(pattern)})`;
}

/**
 * Text already matching NUMBER_PATTERN to a double, as JS Number() reads it: beyond the double
 * range it is +-Infinity (or 0 below it). PostgreSQL's float8 cast would raise instead, so the
 * magnitude is checked first in exact numeric.
 */
function toDouble(d: Dialect, e: string): string {
  if (d === 'duckdb') return `TRY_CAST(${e} AS DOUBLE)`;
  const n = `CAST(${e} AS numeric)`;
  return `CASE WHEN abs(${n}) > 1.7976931348623157e308 THEN CASE WHEN ${n} < 0 THEN '-Infinity'::float8 ELSE 'Infinity'::float8 END WHEN ${n} <> 0 AND abs(${n}) < 1e-300 THEN 0::float8 ELSE CAST(${e} AS DOUBLE PRECISION) END`;
}

function finiteSql(d: Dialect, x: string): string {
  return d === 'duckdb' ? `isfinite(${x})` : `(${x} NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8))`;
}

function intDiv(d: Dialect, a: string, b: number): string {
  return d === 'duckdb' ? `((${a}) // ${b})` : `((${a}) / ${b})`;
}

/** The code for an out-of-domain value under the column policy. */
function oodCode(col: Column, below: boolean, valueCodes: number): string {
  const lay = columnLayout(col);
  switch (col.outOfDomain) {
    case 'other':
      return String(lay.other);
    case 'missing':
      return String(lay.missing);
    case 'clamp':
      return String(below ? 0 : valueCodes - 1);
    case 'invalid':
      return String(InvalidCode['out-of-domain']);
  }
}

/** The code for a missing cell under the column policy. */
function missingCode(col: Column): string {
  const lay = columnLayout(col);
  if (col.missing === 'bin') return String(lay.missing);
  if (col.missing === 'other') return String(lay.other);
  return String(InvalidCode.missing);
}

/** Balanced CASE tree: the bin of x among edges[lo..hi+1] in O(log m) comparisons. */
function binTree(x: string, edges: readonly number[], lo: number, hi: number): string {
  if (lo === hi) return String(lo);
  const mid = (lo + hi + 1) >> 1;
  return `CASE WHEN ${x} < ${num(edges[mid]!)} THEN ${binTree(x, edges, lo, mid - 1)} ELSE ${binTree(x, edges, mid, hi)} END`;
}

/** Equal bin width w if edges are integers e0, e0+w, ..., else undefined. */
function equalIntegerWidth(edges: readonly number[]): number | undefined {
  const w = edges[1]! - edges[0]!;
  return edges.every((e, i) => Number.isInteger(e) && e === edges[0]! + i * w) ? w : undefined;
}

/**
 * The bin of x (a number expression) in a flat CASE: DuckDB evaluates flat chains vectorised,
 * PostgreSQL gets a balanced tree. `intX` says x holds integers: equal-width integer edges then
 * use exact integer arithmetic, (x - e0) // w.
 */
function binned(col: Column, x: string, edges: readonly number[], dl: Dialect, intX: boolean): string {
  const m = edges.length - 1;
  const lit = (e: number): string => (intX && Number.isInteger(e) ? String(e) : num(e));
  const head = `CASE WHEN ${x} < ${lit(edges[0]!)} THEN ${oodCode(col, true, m)} WHEN ${x} > ${lit(edges[m]!)} THEN ${oodCode(col, false, m)}`;
  const w = intX ? equalIntegerWidth(edges) : undefined;
  if (w !== undefined) return `${head} ELSE least(${intDiv(dl, `${x} - ${edges[0]!}`, w)}, ${m - 1}) END`;
  if (dl === 'postgres') return `${head} ELSE ${binTree(x, edges, 0, m - 1)} END`;
  const chain = edges.slice(1, -1).map((e, i) => `WHEN ${x} < ${lit(e)} THEN ${i}`);
  return `${head} ${chain.join(' ')} ELSE ${m - 1} END`;
}

/** A code in [0, n) computed by `idx` (an integer SQL expression), out of domain on either side. */
function ranged(col: Column, idx: string, n: number): string {
  return `CASE WHEN ${idx} < 0 THEN ${oodCode(col, true, n)} WHEN ${idx} >= ${n} THEN ${oodCode(col, false, n)} ELSE ${idx} END`;
}

/** SQL days since 1970-01-01 of integer expressions y, m, d (years 0000..9999; Hinnant's algorithm). */
function daysFromCivilSql(dl: Dialect, y: string, m: string, d: string): string {
  const yy = `(${y} - CASE WHEN ${m} <= 2 THEN 1 ELSE 0 END)`;
  const era = intDiv(dl, yy, 400);
  const yoe = `(${yy} - ${era} * 400)`;
  const doy = `(${intDiv(dl, `153 * (${m} + CASE WHEN ${m} > 2 THEN -3 ELSE 9 END) + 2`, 5)} + ${d} - 1)`;
  const doe = `(${yoe} * 365 + ${intDiv(dl, yoe, 4)} - ${intDiv(dl, yoe, 100)} + ${doy})`;
  return `(${era} * 146097 + ${doe} - 719468)`;
}

function dateCode(dl: Dialect, col: Extract<Column, { type: 'date' }>, t: string): string {
  const part = (a: number, n: number): string => `CAST(substr(${t}, ${a}, ${n}) AS INTEGER)`;
  const y = part(1, 4);
  const m = part(6, 2);
  const d = part(9, 2);
  const leap = `((${y} % 4 = 0 AND ${y} % 100 <> 0) OR ${y} % 400 = 0)`;
  const dim = `CASE WHEN ${m} = 2 THEN CASE WHEN ${leap} THEN 29 ELSE 28 END WHEN ${m} IN (4, 6, 9, 11) THEN 30 ELSE 31 END`;
  const pattern = '^[0-9]{4}-[0-9]{2}-[0-9]{2}([T ].*)?$';
  const period =
    col.granularity === 'year' ? y : col.granularity === 'month' ? `(${y} * 12 + ${m} - 1)` : daysFromCivilSql(dl, y, m, d);
  const lo = periodOf(col.granularity, parseIsoDate(col.min)!);
  const n = columnLayout(col).valueCodes;
  const valid = `${m} BETWEEN 1 AND 12 AND ${d} BETWEEN 1 AND ${dim}`;
  // Nested CASEs guard the casts: both engines evaluate a CASE branch only for rows that reach it.
  return `CASE WHEN NOT ${regexMatch(dl, t, pattern)} THEN ${InvalidCode['wrong-type']} ELSE CASE WHEN NOT (${valid}) THEN ${InvalidCode['wrong-type']} ELSE ${ranged(col, `(${period} - ${lo})`, n)} END END`;
}

/**
 * The SQL expression of a column's code (an integer; negative = `InvalidCode` sentinel) from
 * `ref`, an expression of the raw column. Text is trimmed of spaces as in `encodeValue`.
 */
export function encodeColumnSql(col: Column, ref: string, kind: RawKind, dl: Dialect): string {
  const lay = columnLayout(col);
  if (kind !== 'text' && (col.type === 'numeric' || col.type === 'integer')) {
    const isInt = kind === 'integer';
    const x = isInt ? ref : `CAST(${ref} AS DOUBLE PRECISION)`;
    const ok = isInt ? 'TRUE' : col.type === 'integer' ? `${finiteSql(dl, x)} AND ${x} = floor(${x})` : finiteSql(dl, x);
    const inner =
      col.type === 'integer' && !col.edges
        ? ranged(col, isInt ? `(${x} - ${col.min!})` : `CAST(${x} - ${col.min!} AS BIGINT)`, lay.valueCodes)
        : binned(col, x, col.type === 'integer' ? col.edges! : col.edges, dl, isInt);
    const check = isInt ? '' : ` WHEN NOT (${ok}) THEN ${InvalidCode['wrong-type']}`;
    return `CASE WHEN ${ref} IS NULL THEN ${missingCode(col)}${check} ELSE ${inner} END`;
  }
  const t = `trim(CAST(${ref} AS ${dl === 'duckdb' ? 'VARCHAR' : 'TEXT'}))`;
  const tokens = col.missingTokens.map(sqlString).join(', ');
  const missingTest = `${t} IS NULL${tokens ? ` OR ${t} IN (${tokens})` : ''}`;
  let valueExpr: string;
  switch (col.type) {
    case 'categorical': {
      // Array lookup (one C-level scan) instead of a CASE chain: ~8x faster in DuckDB.
      const list = col.categories.map(sqlString).join(', ');
      const pos = dl === 'duckdb' ? `list_position([${list}], ${t})` : `array_position(ARRAY[${list}]::text[], ${t})`;
      valueExpr = `coalesce(${pos} - 1, ${oodCode(col, false, lay.valueCodes)})`;
      break;
    }
    case 'numeric': {
      const x = toDouble(dl, t);
      valueExpr = `CASE WHEN NOT ${regexMatch(dl, t, NUMBER_PATTERN)} THEN ${InvalidCode['wrong-type']} ELSE ${binned(col, x, col.edges, dl, false)} END`;
      break;
    }
    case 'integer': {
      const x = toDouble(dl, t);
      const inner = col.edges ? binned(col, x, col.edges, dl, false) : ranged(col, `CAST(${x} - ${col.min!} AS BIGINT)`, lay.valueCodes);
      valueExpr = `CASE WHEN NOT ${regexMatch(dl, t, INTEGER_PATTERN)} THEN ${InvalidCode['wrong-type']} ELSE ${inner} END`;
      break;
    }
    case 'date':
      valueExpr = dateCode(dl, col, t);
      break;
  }
  return `CASE WHEN ${missingTest} THEN ${missingCode(col)} ELSE ${valueExpr} END`;
}

/**
 * The SQL expression of a numeric or integer column's value as a double (NULL when the cell is not
 * a number): what the gradient path keeps of a continuous column besides its bin. Text is trimmed
 * and must match the same pattern as in `encodeColumnSql`, so no cast can fail.
 */
export function valueColumnSql(col: Column, ref: string, kind: RawKind, dl: Dialect): string {
  if (kind !== 'text') return `CAST(${ref} AS DOUBLE PRECISION)`;
  const t = `trim(CAST(${ref} AS ${dl === 'duckdb' ? 'VARCHAR' : 'TEXT'}))`;
  const pattern = col.type === 'integer' ? INTEGER_PATTERN : NUMBER_PATTERN;
  return `CASE WHEN ${regexMatch(dl, t, pattern)} THEN ${toDouble(dl, t)} END`;
}
