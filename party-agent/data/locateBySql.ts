// locateBySql: finds the first invalid cells of a SQL source (Parquet, PostgreSQL) for the operator,
// with the raw value, the column and the row: a row number, a key column's value or `ctid`.
import type { Schema } from '../../shared/schema/ConsortiumSchema.js';
import { InvalidCode, type InvalidReason } from '../../shared/schema/encodeValue.js';
import type { ValidationProblem } from '../../shared/schema/ValidationReport.js';
import { encodeColumnSql } from './sqlEncoding.js';
import type { SqlEngine } from './SqlMarginalSource.js';

const BY_CODE = new Map<number, InvalidReason>(Object.entries(InvalidCode).map(([k, v]) => [v, k as InvalidReason]));

const TEXT: Record<InvalidReason, string> = {
  missing: 'missing value in a column without a missing bin',
  'out-of-domain': 'value outside the schema domain (unknown category or outside the bin edges)',
  'wrong-type': 'value of the wrong type',
};

/** Operator text for an invalid cell. */
export function reasonText(r: InvalidReason, column: string, value: string | null): string {
  return `${TEXT[r]} for column "${column}": ${JSON.stringify(value)}`;
}

/** How a located problem names its row. */
export type RowLocator =
  /** A row number column or expression of `from`, 0- or 1-based; reported 1-based as `row`. */
  | { readonly kind: 'row-number'; readonly sql: string; readonly base: 0 | 1; readonly note?: string }
  /** A row identifier (a key column, `ctid`), read as text and reported as `key`. */
  | { readonly kind: 'key'; readonly sql: string; readonly column: string; readonly note?: string };

export interface LocateOptions {
  /** How rows are named (none: column and value only). */
  readonly row?: RowLocator;
  /** The relation named in each problem (database sources). */
  readonly relation?: string;
}

/** Up to `max` problems from `from` (a FROM clause), each with its row as `opts.row` names it. */
export async function locateBySql(
  engine: SqlEngine,
  schema: Schema,
  from: string,
  max: number,
  opts: LocateOptions = {},
): Promise<ValidationProblem[]> {
  const textType = engine.dialect === 'duckdb' ? 'VARCHAR' : 'TEXT';
  const codes = schema.columns.map((c, i) => `${encodeColumnSql(c, engine.raw[i]!.ref, engine.raw[i]!.kind, engine.dialect)} AS k${i}`);
  const raws = schema.columns.map((_, i) => `CAST(${engine.raw[i]!.ref} AS ${textType}) AS r${i}`);
  const loc = opts.row;
  const rn = loc === undefined ? 'NULL AS rn' : loc.kind === 'key' ? `CAST(${loc.sql} AS ${textType}) AS rn` : `${loc.sql} AS rn`;
  const where = schema.columns.map((_, i) => `k${i} < 0`).join(' OR ');
  const rows = await engine.query(`SELECT * FROM (SELECT ${rn}, ${raws.join(', ')}, ${codes.join(', ')} FROM ${from}) x WHERE ${where} LIMIT ${max}`);
  const out: ValidationProblem[] = [];
  const n = schema.columns.length;
  const note = loc?.note === undefined ? '' : ` (${loc.note})`;
  for (const r of rows) {
    for (let i = 0; i < n && out.length < max; i++) {
      const reason = BY_CODE.get(Number(r[1 + n + i]));
      if (!reason) continue;
      const value = r[1 + i] === null ? null : String(r[1 + i]);
      const column = schema.columns[i]!.name;
      const p: ValidationProblem = {
        reason,
        message: reasonText(reason, column, value) + note,
        column,
        value,
        ...(opts.relation !== undefined ? { relation: opts.relation } : {}),
      };
      if (loc?.kind === 'key') out.push({ ...p, key: { column: loc.column, value: r[0] === null || r[0] === undefined ? null : String(r[0]) } });
      else if (loc?.kind === 'row-number' && r[0] !== null && r[0] !== undefined) out.push({ ...p, row: Number(r[0]) + (1 - loc.base) });
      else out.push(p);
    }
  }
  return out;
}
