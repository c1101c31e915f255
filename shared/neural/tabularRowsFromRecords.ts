// tabularRowsFromRecords: raw records (parsed CSV cells) as TabularRows under the consortium schema,
// codes by the reference encoder and the numeric value kept for continuous columns; invalid rows dropped.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { Schema } from '../schema/ConsortiumSchema.js';
import { encodeValue, trimSpaces } from '../schema/encodeValue.js';
import type { ColumnBlock, TabularEncoding, TabularRows } from './TabularEncoding.js';

/**
 * `records[0]` is the header (every schema column, any order). A continuous column's value is the
 * number itself, clamped into [e_0, e_m] when the schema clamps it, NaN on an "other"/"missing" code.
 */
export function tabularRowsFromRecords(schema: Schema, encoding: TabularEncoding, records: readonly (readonly (string | null)[])[]): { rows: TabularRows; dropped: number } {
  if (records.length === 0) throw new FedsynthError(ErrorCode.InvalidData, 'tabularRowsFromRecords: no header');
  const header = records[0].map((h) => h ?? '');
  const pos = schema.columns.map((c) => header.indexOf(c.name));
  const absent = schema.columns.filter((_, j) => pos[j] < 0).map((c) => c.name);
  if (absent.length > 0) throw new FedsynthError(ErrorCode.InvalidData, `tabularRowsFromRecords: no column ${absent.join(', ')} in the header`, { columns: absent });
  const n = records.length - 1;
  const codes = schema.columns.map(() => new Int32Array(n));
  const values = encoding.columns.map((b) => (b.kind === 'continuous' ? new Float64Array(n) : null));
  let kept = 0;
  for (let r = 1; r <= n; r++) {
    let ok = true;
    for (let j = 0; j < schema.columns.length && ok; j++) {
      const cell = records[r][pos[j]] ?? null;
      const enc = encodeValue(schema.columns[j], cell);
      if (!enc.ok) {
        ok = false;
        break;
      }
      codes[j][kept] = enc.code;
      const block = encoding.columns[j];
      if (block.kind === 'continuous') values[j]![kept] = continuousCellValue(block, enc.code, cell);
    }
    if (ok) kept++;
  }
  return { rows: { rows: kept, codes: codes.map((c) => c.slice(0, kept)), values: values.map((v) => v && v.slice(0, kept)) }, dropped: n - kept };
}

/**
 * The value a continuous column keeps for a cell encoded as `code`: the number itself, clamped
 * into [e_0, e_m], or NaN when the code is not a bin ("other", "missing").
 */
export function continuousCellValue(block: ColumnBlock & { kind: 'continuous' }, code: number, cell: string | null): number {
  if (code >= block.edges.length - 1 || cell === null) return Number.NaN;
  return Math.min(block.edges[block.edges.length - 1], Math.max(block.edges[0], Number(trimSpaces(cell))));
}
