// decodeTabularRows: sampled TabularRows as raw cells (or CSV) under the consortium schema — codes decoded
// as the marginal path does (labels, "other", empty for missing), continuous columns written as their values.
import type { RandomSource } from '../dp/random/RandomSource.js';
import type { Schema } from '../schema/ConsortiumSchema.js';
import { csvField, decodeCsvHeader, decodeRows } from '../schema/decodeRows.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { TabularEncoding, TabularRows } from './TabularEncoding.js';

/**
 * One string array per row in schema column order. A continuous column's cell is its sampled value
 * (integers as integers, numbers with the column's `decimals`) unless the schema decodes to bin
 * labels (`decode: "label"`); other cells come from `decodeRows` (`rng` is only used there).
 */
export function decodeTabularRows(schema: Schema, encoding: TabularEncoding, rows: TabularRows, rng: RandomSource): string[][] {
  if (encoding.columns.length !== schema.columns.length || encoding.columns.some((b, j) => b.name !== schema.columns[j].name)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'decodeTabularRows: the encoding was not built from this schema');
  }
  const out = decodeRows(schema, rows.codes, rng);
  if (schema.decode === 'label') return out;
  schema.columns.forEach((col, j) => {
    const values = rows.values[j];
    if (values === null) return;
    const decimals = col.type === 'numeric' ? col.decimals : 0;
    for (let r = 0; r < rows.rows; r++) {
      const v = values[r];
      if (!Number.isNaN(v)) out[r][j] = String(Number(v.toFixed(decimals)));
    }
  });
  return out;
}

/** decodeTabularRows as CSV text with a header line (the format of decodeCsv). */
export function decodeTabularCsv(schema: Schema, encoding: TabularEncoding, rows: TabularRows, rng: RandomSource): string {
  return decodeCsvHeader(schema) + decodeTabularCsvRows(schema, encoding, rows, rng);
}

/** The rows of decodeTabularCsv (each with its line end, '' for none), for one chunk of rows. */
export function decodeTabularCsvRows(schema: Schema, encoding: TabularEncoding, rows: TabularRows, rng: RandomSource): string {
  const lines = decodeTabularRows(schema, encoding, rows, rng).map((row) => row.map((v) => csvField(v)).join(','));
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
