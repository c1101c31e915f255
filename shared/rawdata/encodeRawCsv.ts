// encodeRawCsv: encodes raw CSV text (labels, numbers, dates) into a CodeTable (and continuous columns' values)
// under the consortium schema, cell by cell with the reference encoder; rows the schema rejects are dropped and counted.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { Schema } from '../schema/ConsortiumSchema.js';
import { columnLayout } from '../schema/columnLayout.js';
import { encodeValue } from '../schema/encodeValue.js';
import type { CodeTable } from '../eval/CodeTable.js';
import { parseCsvText } from './parseCsvText.js';
import { TabularEncoding } from '../neural/TabularEncoding.js';
import { continuousCellValue } from '../neural/tabularRowsFromRecords.js';

export interface EncodedRawCsv {
  readonly table: CodeTable;
  /** Rows dropped because a cell is invalid under the schema's policies (missing, out of domain, wrong type). */
  readonly dropped: number;
  /**
   * By column, aligned with the table's rows: a continuous column's values (the number, as a party
   * agent keeps it: continuousCellValue; NaN on "other"/"missing"), null for the other columns.
   */
  readonly values: (Float64Array | null)[];
}

/** Encodes `text` (header naming every schema column, any order, extra columns ignored). */
export function encodeRawCsv(text: string, schema: Schema, file: string): EncodedRawCsv {
  const records = parseCsvText(text, file);
  if (records.length === 0) throw new FedsynthError(ErrorCode.InvalidData, `${file}: empty file`, { file });
  const header = records[0]!.map((h) => h ?? '');
  const pos = schema.columns.map((c) => header.indexOf(c.name));
  const missing = schema.columns.filter((_, j) => pos[j]! < 0).map((c) => c.name);
  if (missing.length > 0) throw new FedsynthError(ErrorCode.InvalidData, `${file}: line 1: no column ${missing.join(', ')} in the header`, { file, columns: missing });
  const n = records.length - 1;
  const data = schema.columns.map(() => new Int32Array(n));
  const blocks = TabularEncoding.fromSchema(schema).columns;
  const values = blocks.map((b) => (b.kind === 'continuous' ? new Float64Array(n) : null));
  let kept = 0;
  let dropped = 0;
  for (let r = 1; r <= n; r++) {
    const rec = records[r]!;
    let ok = true;
    for (let j = 0; j < schema.columns.length && ok; j++) {
      const cell = rec[pos[j]!] ?? null;
      const enc = encodeValue(schema.columns[j]!, cell);
      if (!enc.ok) ok = false;
      else {
        data[j]![kept] = enc.code;
        const b = blocks[j]!;
        if (b.kind === 'continuous') values[j]![kept] = continuousCellValue(b, enc.code, cell);
      }
    }
    if (ok) kept++;
    else dropped++;
  }
  if (kept === 0) throw new FedsynthError(ErrorCode.InvalidData, `${file}: no row is valid under the schema (${dropped} dropped)`, { file });
  return {
    table: { columns: schema.columns.map((c) => c.name), sizes: schema.columns.map((c) => columnLayout(c).size), data: data.map((d) => d.slice(0, kept)), rows: kept },
    dropped,
    values: values.map((v) => v && v.slice(0, kept)),
  };
}
