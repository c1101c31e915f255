// parseWhere: turns `column=value` conditions into sampling evidence (one code per column): values are
// schema labels or raw values encoded like the silos' data (a number selects its bin), or plain codes.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { Domain } from '../pgm/Domain.js';
import type { Evidence } from '../pgm/AncestralSampler.js';
import type { Schema } from '../schema/ConsortiumSchema.js';
import { encodeValue } from '../schema/encodeValue.js';

function invalid(message: string, details: Record<string, unknown>): FedsynthError {
  return new FedsynthError(ErrorCode.InvalidArgument, message, details);
}

/**
 * Parses each `column=value`. With a schema the value is encoded by the schema's reference encoder
 * (a category label, a number or date that falls in a bin, the missing token for the missing bin);
 * without one it must be an integer code of the column. Unknown columns, values outside the domain
 * and a column given twice are InvalidArgument naming the column and value.
 */
export function parseWhere(clauses: readonly string[], domain: Domain, schema: Schema | null): Evidence {
  const out: Record<string, number> = {};
  for (const clause of clauses) {
    const eq = clause.indexOf('=');
    if (eq <= 0) throw invalid(`--where ${JSON.stringify(clause)}: expected column=value`, { where: clause });
    const column = clause.slice(0, eq);
    const value = clause.slice(eq + 1);
    if (!domain.has(column)) {
      throw invalid(`--where: unknown column '${column}' (columns: ${domain.attrs.join(', ')})`, { column });
    }
    if (column in out) throw invalid(`--where: column '${column}' is given more than once`, { column });
    let code: number;
    if (schema) {
      const col = schema.columns.find((c) => c.name === column)!;
      const enc = encodeValue(col, value);
      if (!enc.ok) {
        const hint = col.type === 'categorical' ? ` (values: ${col.categories.join(', ')})` : '';
        throw invalid(`--where: value '${value}' is not in the domain of column '${column}' (${enc.reason})${hint}`, { column, value });
      }
      code = enc.code;
    } else {
      code = Number(value);
      if (!/^\d+$/.test(value) || code >= domain.sizeOf(column)) {
        throw invalid(`--where: value '${value}' of column '${column}' is not a code 0..${domain.sizeOf(column) - 1}`, { column, value });
      }
    }
    out[column] = code;
  }
  return out;
}
