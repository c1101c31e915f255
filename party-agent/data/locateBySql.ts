// locateBySql: finds the first invalid cells of a SQL source (Parquet, PostgreSQL) for the operator,
// with the raw value, the column and (where the engine has one) the row number.
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

/**
 * Up to `max` problems from `from` (a FROM clause); `rowNumber` names a 0-based row number column
 * of `from` if it has one (reported 1-based as `row`).
 */
export async function locateBySql(
  engine: SqlEngine,
  schema: Schema,
  from: string,
  rowNumber: string | undefined,
  max: number,
): Promise<ValidationProblem[]> {
  const textType = engine.dialect === 'duckdb' ? 'VARCHAR' : 'TEXT';
  const codes = schema.columns.map((c, i) => `${encodeColumnSql(c, engine.raw[i]!.ref, engine.raw[i]!.kind, engine.dialect)} AS k${i}`);
  const raws = schema.columns.map((_, i) => `CAST(${engine.raw[i]!.ref} AS ${textType}) AS r${i}`);
  const rn = rowNumber ? `${rowNumber} AS rn` : 'NULL AS rn';
  const where = schema.columns.map((_, i) => `k${i} < 0`).join(' OR ');
  const rows = await engine.query(`SELECT * FROM (SELECT ${rn}, ${raws.join(', ')}, ${codes.join(', ')} FROM ${from}) x WHERE ${where} LIMIT ${max}`);
  const out: ValidationProblem[] = [];
  const n = schema.columns.length;
  for (const r of rows) {
    for (let i = 0; i < n && out.length < max; i++) {
      const reason = BY_CODE.get(Number(r[1 + n + i]));
      if (!reason) continue;
      const value = r[1 + i] === null ? null : String(r[1 + i]);
      const column = schema.columns[i]!.name;
      const p: ValidationProblem = { reason, message: reasonText(reason, column, value), column, value };
      out.push(r[0] === null || r[0] === undefined ? p : { ...p, row: Number(r[0]) + 1 });
    }
  }
  return out;
}
