// DuckDbEngine: the SqlEngine for CSV and Parquet files, scanned in-process by DuckDB.
// CSV is read as VARCHAR with explicit dialect options; Parquet numeric columns are used natively.
import { access } from 'node:fs/promises';
import { openInMemoryDuckDb, type InMemoryDuckDb } from '../../platform/duckdb/inMemoryDuckDb.js';
import type { Schema } from '../../shared/schema/ConsortiumSchema.js';
import { encodeValue } from '../../shared/schema/encodeValue.js';
import type { ValidationProblem } from '../../shared/schema/ValidationReport.js';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { csvRecords, isStructuralBreak, type CsvRecord } from './csvRecords.js';
import { sqlIdent, sqlString, type RawKind } from './sqlEncoding.js';
import type { SqlEngine } from './SqlMarginalSource.js';
import type { RawColumn } from './marginalQuery.js';
import { locateBySql, reasonText } from './locateBySql.js';

async function mustExist(path: string): Promise<void> {
  try {
    await access(path);
  } catch {
    throw new FedsynthError(ErrorCode.NotFound, `data file not found: ${path}`, { file: path });
  }
}

function columnCheck(schema: Schema, header: readonly string[], file: string, ignoreExtra: boolean): void {
  const names = new Set(schema.columns.map((c) => c.name));
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new FedsynthError(ErrorCode.InvalidData, `${file}: duplicate column "${h}" in the header`, { file, line: 1, column: h });
    seen.add(h);
  }
  const missing = schema.columns.map((c) => c.name).filter((n) => !seen.has(n));
  if (missing.length > 0) {
    const hint =
      header.length === 1 && /[;\t|]/.test(header[0] ?? '') ? ' (the header has a single column: is the delimiter right?)' : '';
    throw new FedsynthError(ErrorCode.InvalidData, `${file}: missing column(s) ${missing.map((m) => `"${m}"`).join(', ')}${hint}`, {
      file,
      line: 1,
      column: missing[0],
      missing,
    });
  }
  const extra = header.filter((h) => !names.has(h));
  if (extra.length > 0 && !ignoreExtra) {
    throw new FedsynthError(ErrorCode.InvalidData, `${file}: column(s) not in the schema: ${extra.map((m) => `"${m}"`).join(', ')} (set ignoreExtraColumns to allow)`, {
      file,
      line: 1,
      column: extra[0],
      extra,
    });
  }
}

class DuckDbEngine implements SqlEngine {
  readonly dialect = 'duckdb' as const;

  constructor(
    readonly label: string,
    readonly from: string,
    readonly raw: readonly RawColumn[],
    private readonly db: InMemoryDuckDb,
    private readonly countMalformed: (e: DuckDbEngine) => Promise<number>,
    private readonly locate: (e: DuckDbEngine, max: number) => Promise<ValidationProblem[]>,
  ) {}

  async query(sql: string): Promise<unknown[][]> {
    try {
      const r = await this.db.conn.runAndReadAll(sql);
      return r.getRows() as unknown[][];
    } catch (e) {
      throw this.unreadable(e);
    }
  }

  async scan(sql: string, onBatch: (rows: readonly unknown[][]) => void): Promise<void> {
    let result;
    try {
      result = await this.db.conn.stream(sql);
    } catch (e) {
      throw this.unreadable(e);
    }
    for (;;) {
      let chunk;
      try {
        chunk = await result.fetchChunk();
      } catch (e) {
        throw this.unreadable(e);
      }
      if (!chunk || chunk.rowCount === 0) return;
      onBatch(chunk.getRows() as unknown[][]);
    }
  }

  private unreadable(e: unknown): FedsynthError {
    return new FedsynthError(ErrorCode.InvalidData, `${this.label}: DuckDB could not read the data: ${(e as Error).message.split('\n')[0]}`, { source: this.label });
  }

  malformedRecords(): Promise<number> {
    return this.countMalformed(this);
  }

  locateProblems(max: number): Promise<ValidationProblem[]> {
    return this.locate(this, max);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

export interface DuckDbOptions {
  readonly ignoreExtraColumns: boolean;
  readonly threads?: number;
  /** DuckDB's memory_limit in MB (default DUCKDB_MEMORY_LIMIT_MB): above it DuckDB spills to `tempDirectory` or fails. */
  readonly memoryLimitMB?: number;
  /** Where DuckDB spills (default: its own, `.tmp` in the working directory). */
  readonly tempDirectory?: string;
}

/**
 * DuckDB's memory cap in an agent, in MB. DuckDB's default is 80% of the host's RAM; what it keeps of
 * a scanned file grew with the silo (the agent's validation pass: +33 MB at 50,000 rows, +96 MB at
 * 400,000 rows of 40 columns). A GROUPING SETS statement needs memory per grouping set whatever the
 * rows (Adult's 105 one- and two-way sets in one statement fail under 256 MB); statements are bounded
 * by MAX_RESULT_ROWS (572 MB of process RSS measured at its cap), so 1 GB leaves them room.
 */
export const DUCKDB_MEMORY_LIMIT_MB = 1024;

/** Opens the agent's in-memory DuckDB with its memory cap (and spill directory) set. */
async function openAgentDuckDb(opts: DuckDbOptions): Promise<InMemoryDuckDb> {
  const db = await openInMemoryDuckDb(opts.threads);
  try {
    await db.conn.run(`SET memory_limit = '${Math.max(16, Math.floor(opts.memoryLimitMB ?? DUCKDB_MEMORY_LIMIT_MB))}MB'`);
    if (opts.tempDirectory !== undefined) await db.conn.run(`SET temp_directory = ${sqlString(opts.tempDirectory)}`);
  } catch (e) {
    db.close();
    throw e;
  }
  return db;
}

/** A CSV engine: all columns VARCHAR, RFC 4180 quoting, malformed lines counted through rejects. */
export async function openCsvEngine(path: string, delimiter: string, schema: Schema, opts: DuckDbOptions): Promise<SqlEngine> {
  await mustExist(path);
  let header: (string | null)[] | undefined;
  for await (const rec of csvRecords(path, delimiter)) {
    if (rec.error) {
      throw new FedsynthError(ErrorCode.InvalidData, `${path}: malformed header (${rec.error})`, { file: path, line: rec.line });
    }
    header = rec.fields;
    break;
  }
  if (!header) throw new FedsynthError(ErrorCode.InvalidData, `${path}: the file is empty (no header line)`, { file: path, line: 1 });
  const names = header.map((h) => h ?? '');
  columnCheck(schema, names, path, opts.ignoreExtraColumns);
  const cols = `{${names.map((n) => `${sqlString(n)}: 'VARCHAR'`).join(', ')}}`;
  const args = `${sqlString(path)}, header=true, auto_detect=false, columns=${cols}, delim=${sqlString(delimiter)}, quote='"', escape='"', strict_mode=true, null_padding=false`;
  const from = `read_csv(${args}, ignore_errors=true)`;
  const raw = schema.columns.map((c) => ({ ref: sqlIdent(c.name), kind: 'text' as RawKind }));
  return new DuckDbEngine(
    path,
    from,
    raw,
    await openAgentDuckDb(opts),
    async (e) => {
      await e.query(`SELECT count(*) FROM read_csv(${args}, store_rejects=true, rejects_table='fs_rejects', rejects_scan='fs_scans')`);
      const [[n]] = (await e.query(`SELECT count(DISTINCT line) FROM fs_rejects`)) as [[unknown]];
      await e.query(`DROP TABLE IF EXISTS fs_rejects; DROP TABLE IF EXISTS fs_scans`);
      return Number(n);
    },
    (_e, max) => locateCsv(path, delimiter, schema, names, max),
  );
}

/**
 * Scans the file in JS (streaming) and reports the first `max` problems with file line numbers.
 * A structural break (a quote that swallows the following lines) is searched for in the whole
 * file, whatever `max`, and is reported first: it fails the data under every `onInvalid` policy.
 */
async function locateCsv(path: string, delimiter: string, schema: Schema, header: readonly string[], max: number): Promise<ValidationProblem[]> {
  const out: ValidationProblem[] = [];
  const pos = schema.columns.map((c) => header.indexOf(c.name));
  let first = true;
  for await (const rec of csvRecords(path, delimiter)) {
    if (first) {
      first = false;
      continue;
    }
    if (isStructuralBreak(rec, header.length)) {
      out.unshift(structuralProblem(path, rec, header));
      break;
    }
    if (out.length >= max) continue;
    if (rec.error === 'invalid-utf8') {
      out.push({ reason: 'invalid-utf8', message: 'bytes that are not UTF-8', file: path, line: rec.line });
      continue;
    }
    if (rec.error || rec.fields.length !== header.length) {
      const why = rec.error ? rec.error : `expected ${header.length} fields, found ${rec.fields.length}`;
      out.push({ reason: 'malformed-line', message: `malformed CSV line (${why})`, file: path, line: rec.line });
      continue;
    }
    schema.columns.forEach((c, i) => {
      const value = rec.fields[pos[i]!] ?? null;
      const r = encodeValue(c, value);
      if (!r.ok && out.length < max) {
        out.push({ reason: r.reason, message: reasonText(r.reason, c.name, value), file: path, line: rec.line, column: c.name, value });
      }
    });
  }
  return out;
}

/** The problem for a structural break: where the quote opened (line, character, column), how far it ran. */
function structuralProblem(path: string, rec: CsvRecord, header: readonly string[]): ValidationProblem {
  const at = rec.quotedBreak ?? { line: rec.line, column: 1, field: Math.max(0, rec.fields.length - 1) };
  const column = header[at.field] ?? `field ${at.field + 1}`;
  const runs = rec.error === 'unterminated-quote' ? 'is never closed: it runs to the end of the file' : `is not closed where its record should end: the record runs to line ${rec.endLine}`;
  return {
    reason: 'malformed-file',
    message: `unterminated quote: the quoted field opened at line ${at.line}, character ${at.column} (column "${column}") ${runs}; every line after it would be misread, so the file is refused under every onInvalid policy`,
    file: path,
    line: at.line,
    column,
  };
}

const INTEGER_TYPES = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT)$/;
const NUMBER_TYPES = /^(FLOAT|DOUBLE|DECIMAL.*)$/;

/** How a DuckDB column type is read. */
function rawKind(type: string): RawKind {
  return INTEGER_TYPES.test(type) ? 'integer' : NUMBER_TYPES.test(type) ? 'number' : 'text';
}

/** A Parquet engine: native numeric columns are binned without a text round trip. */
export async function openParquetEngine(path: string, schema: Schema, opts: DuckDbOptions): Promise<SqlEngine> {
  await mustExist(path);
  const db = await openAgentDuckDb(opts);
  const from = `read_parquet(${sqlString(path)})`;
  let described: unknown[][];
  try {
    described = (await db.conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRows() as unknown[][];
  } catch (e) {
    db.close();
    throw new FedsynthError(ErrorCode.InvalidData, `${path}: not a readable Parquet file: ${(e as Error).message.split('\n')[0]}`, { file: path });
  }
  const types = new Map(described.map((r) => [String(r[0]), String(r[1])]));
  try {
    columnCheck(schema, [...types.keys()], path, opts.ignoreExtraColumns);
  } catch (e) {
    db.close();
    throw e;
  }
  const raw = schema.columns.map((c) => ({
    ref: sqlIdent(c.name),
    kind: rawKind(types.get(c.name)!),
  }));
  return new DuckDbEngine(
    path,
    from,
    raw,
    db,
    async () => 0,
    (e, max) =>
      locateBySql(e, schema, `read_parquet(${sqlString(path)}, file_row_number=true)`, max, { row: { kind: 'row-number', sql: 'file_row_number', base: 0 } }).then((ps) =>
        ps.map((p) => ({ ...p, file: path })),
      ),
  );
}
