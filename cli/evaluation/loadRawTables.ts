// loadRawTables: reads a consortium schema file and raw-value CSV files (labels, numbers, dates) and
// encodes them into evaluation CodeTables with the schema's reference encoder (for `evaluate --schema`, the demo).
import { readFileSync } from 'node:fs';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { parseSchema, type Schema } from '../../shared/schema/ConsortiumSchema.js';
import { columnLayout } from '../../shared/schema/columnLayout.js';
import type { CodeTable } from '../../shared/eval/CodeTable.js';
import type { EvalDomain } from '../../shared/eval/parseDomainJson.js';
import { encodeRawCsv } from '../../shared/rawdata/encodeRawCsv.js';

export type RawTables<K extends string> = {
  readonly domain: EvalDomain;
  readonly schema: Schema;
  readonly dropped: Readonly<Record<K, number>>;
  /** Per file, its continuous columns' values by column (encodeRawCsv `values`). */
  readonly values: Readonly<Record<K, (Float64Array | null)[]>>;
} & {
  readonly [P in K]: CodeTable;
};

function read(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new FedsynthError(ErrorCode.NotFound, `${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { file: path });
  }
}

/** Loads `files` ({name: csv path}) encoded under the schema at `schemaPath`; rows invalid under it are dropped and counted. */
export function loadRawTables<K extends string>(schemaPath: string, files: Readonly<Record<K, string>>): RawTables<K> {
  let raw: unknown;
  try {
    raw = JSON.parse(read(schemaPath, 'schema'));
  } catch (e) {
    if (e instanceof FedsynthError) throw e;
    throw new FedsynthError(ErrorCode.InvalidSchema, `schema ${schemaPath}: not valid JSON`, { file: schemaPath });
  }
  const schema = parseSchema(raw);
  const domain: EvalDomain = { columns: schema.columns.map((c) => c.name), sizes: schema.columns.map((c) => columnLayout(c).size) };
  const out: Record<string, unknown> = { domain, schema };
  const dropped: Record<string, number> = {};
  const values: Record<string, (Float64Array | null)[]> = {};
  for (const [name, path] of Object.entries(files) as [K, string][]) {
    const enc = encodeRawCsv(read(path, name), schema, `${name} ${path}`);
    out[name] = enc.table;
    dropped[name] = enc.dropped;
    values[name] = enc.values;
  }
  out.dropped = dropped;
  out.values = values;
  return out as RawTables<K>;
}
