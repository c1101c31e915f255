// encodeRawCsv: reads a raw CSV (strings, numbers, gaps) into the consortium schema's integer codes
// and the values of its continuous columns for `fedsynth simulate --schema`, with the same
// validation policy and file/line/column/value errors as a party agent.
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable, allocColumn } from '../shared/data/EncodedTable.js';
import type { Schema } from '../shared/schema/ConsortiumSchema.js';
import { columnLayout, schemaDomain } from '../shared/schema/columnLayout.js';
import { encodeValue } from '../shared/schema/encodeValue.js';
import type { OnInvalid } from '../shared/schema/ValidationReport.js';
import { csvRecords } from '../party-agent/data/csvRecords.js';
import { reasonText } from '../party-agent/data/locateBySql.js';
import { TabularEncoding } from '../shared/neural/TabularEncoding.js';
import { continuousCellValue } from '../shared/neural/tabularRowsFromRecords.js';

export interface EncodedRaw {
  table: EncodedTable;
  domain: Domain;
  /** By column, aligned with `table`'s rows: a continuous column's values (as a party agent keeps them, continuousCellValue), null for the others. */
  values: (Float64Array | null)[];
  rowsRead: number;
  rowsDropped: number;
  cellsMappedToMissing: number;
}

export async function encodeRawCsv(file: string, schema: Schema, onInvalid: OnInvalid): Promise<EncodedRaw> {
  const domain = Domain.fromJson(schemaDomain(schema));
  const cols = schema.columns;
  const codes: number[][] = cols.map(() => []);
  const blocks = TabularEncoding.fromSchema(schema).columns;
  const values: number[][] = cols.map(() => []);
  const value = new Array<number>(cols.length);
  let header: (string | null)[] | undefined;
  let index: number[] = [];
  let rowsRead = 0;
  let rowsDropped = 0;
  let mapped = 0;
  const row = new Array<number>(cols.length);
  for await (const rec of csvRecords(file)) {
    if (rec.error) {
      if (onInvalid === 'fail') throw new FedsynthError(ErrorCode.InvalidData, `${file}: line ${rec.line}: malformed CSV (${rec.error})`, { file, line: rec.line });
      rowsDropped++;
      continue;
    }
    if (!header) {
      header = rec.fields;
      index = cols.map((c) => header!.indexOf(c.name));
      const missing = cols.filter((_, j) => index[j] < 0).map((c) => c.name);
      if (missing.length > 0) throw new FedsynthError(ErrorCode.InvalidData, `${file}: line 1: missing column(s) ${missing.map((m) => `"${m}"`).join(', ')} of the schema`, { file, line: 1 });
      continue;
    }
    rowsRead++;
    if (rec.fields.length !== header.length) {
      if (onInvalid === 'fail') throw new FedsynthError(ErrorCode.InvalidData, `${file}: line ${rec.line}: ${rec.fields.length} fields, the header has ${header.length}`, { file, line: rec.line });
      rowsDropped++;
      continue;
    }
    let keep = true;
    for (let j = 0; j < cols.length && keep; j++) {
      const raw = rec.fields[index[j]] ?? null;
      const r = encodeValue(cols[j], raw);
      if (r.ok) {
        row[j] = r.code;
        const b = blocks[j];
        if (b.kind === 'continuous') value[j] = continuousCellValue(b, r.code, raw);
        continue;
      }
      if (onInvalid === 'fail') {
        throw new FedsynthError(ErrorCode.InvalidData, `${file}: line ${rec.line}, column "${cols[j].name}": ${reasonText(r.reason, cols[j].name, raw)}`, { file, line: rec.line, column: cols[j].name, value: raw });
      }
      const lay = columnLayout(cols[j]);
      if (onInvalid === 'map-to-missing' && lay.missing !== undefined) {
        row[j] = lay.missing;
        value[j] = Number.NaN;
        mapped++;
      } else keep = false;
    }
    if (!keep) {
      rowsDropped++;
      continue;
    }
    for (let j = 0; j < cols.length; j++) {
      codes[j].push(row[j]);
      if (blocks[j].kind === 'continuous') values[j].push(value[j]);
    }
  }
  if (!header) throw new FedsynthError(ErrorCode.InvalidData, `${file}: the file is empty`, { file });
  const n = codes[0]?.length ?? 0;
  if (n === 0) throw new FedsynthError(ErrorCode.InvalidData, `${file}: no usable rows`, { file });
  const columns = cols.map((c, j) => {
    const col = allocColumn(domain.shape[j], n);
    for (let i = 0; i < n; i++) col[i] = codes[j][i];
    return col;
  });
  const valueColumns = blocks.map((b, j) => (b.kind === 'continuous' ? Float64Array.from(values[j]) : null));
  return { table: new EncodedTable(domain, columns), domain, values: valueColumns, rowsRead, rowsDropped, cellsMappedToMissing: mapped };
}
