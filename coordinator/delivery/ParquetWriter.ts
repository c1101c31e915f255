// ParquetWriter: converts a study's synthetic.csv into synthetic.parquet with DuckDB, typed from the
// consortium schema (labels as VARCHAR, numbers as DOUBLE/BIGINT, dates as DATE) or as integer codes.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openInMemoryDuckDb, type InMemoryDuckDb } from '../../platform/duckdb/inMemoryDuckDb.js';
import type { Column, Schema } from '../../shared/schema/ConsortiumSchema.js';
import { columnLayout } from '../../shared/schema/columnLayout.js';

/** DuckDB type of a decoded schema column; VARCHAR whenever a cell may hold a label ("other", a bin label). */
export function parquetType(col: Column, mode: 'uniform' | 'label'): string {
  if (col.type === 'categorical' || columnLayout(col).other !== undefined) return 'VARCHAR';
  if (mode === 'label' && !(col.type === 'integer' && !col.edges)) return 'VARCHAR';
  switch (col.type) {
    case 'numeric':
      return 'DOUBLE';
    case 'integer':
      return 'BIGINT';
    case 'date':
      return 'DATE';
  }
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The conversion's spill folder, in the output's folder. */
export const PARQUET_TEMP_DIR = '.parquet-tmp';

/**
 * Rows per Parquet row group. The writer holds a whole row group of every column before it writes
 * it (its data and its pages): with DuckDB's default, 122,880 rows, a table below one group (1e5
 * rows) held part of one and the conversion's memory grew with the rows up to ~250,000 (at 40 label
 * columns, bench/_afterFit's Parquet step: 251-258 MB at 1e5, 315-382 MB at 1e6). With 32,768 rows:
 * 180 and 194 MB, files 1.5-2% larger (zstd over shorter column chunks); docs/synthesis.md.
 */
export const PARQUET_ROW_GROUP_ROWS = 32_768;

/**
 * Bytes of the CSV reader's buffer (read_csv's buffer_size): with DuckDB's default its CSV buffers
 * held up to 61 MB at once (`duckdb_memory()`, 1e6 x 40). A row group ends a little past
 * PARQUET_ROW_GROUP_ROWS, where the reader's chunks end, so this and PARQUET_ROW_GROUP_ROWS
 * together fix the file's bytes for a given CSV.
 */
export const PARQUET_CSV_BUFFER_BYTES = 1 << 20;

/**
 * DuckDB's memory ceiling for converting a table of `columns` columns: 128 MB plus 8 MB a column.
 * With DuckDB's default row groups (122,880 rows) and CSV buffers the conversion held about two row
 * groups of every column: at 40 label columns DuckDB counted up to 225 MB (CSV buffers 61, row-group
 * data 87, the writer's pages 107), 5.6 MB a column; 256 MB for 120 columns ran out of memory. Without
 * a limit DuckDB may take 80% of the machine's memory.
 */
export function parquetMemoryLimitMB(columns: number): number {
  return 128 + 8 * columns;
}

/**
 * An in-memory DuckDB set up for one conversion: one thread (the file's bytes depend only on the
 * CSV), the memory ceiling above, spilling into `tempDir` instead of the process's working folder,
 * and jemalloc's background threads returning freed pages while the conversion runs (without them
 * the process's peak at 1e6-3e6 rows x 40 columns was 60-160 MB higher; bench/_afterFit).
 */
export async function openParquetDuckDb(columns: number, tempDir: string): Promise<InMemoryDuckDb> {
  const db = await openInMemoryDuckDb(1);
  try {
    await db.conn.run(`SET memory_limit = '${parquetMemoryLimitMB(columns)}MB'`);
    await db.conn.run(`SET temp_directory = ${sqlString(tempDir)}`);
    await db.conn.run('SET allocator_background_threads = true');
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/**
 * Writes `parquetPath` from `csvPath` (header row, RFC 4180). With a schema, cells are typed as the
 * schema decodes them (empty cells are NULL); without one, every column is an INTEGER code.
 * DuckDB streams the CSV into row groups of PARQUET_ROW_GROUP_ROWS (openParquetDuckDb): memory
 * bounded in rows and capped.
 */
export async function writeParquet(csvPath: string, parquetPath: string, columns: readonly string[], schema?: Schema): Promise<void> {
  const types = schema ? schema.columns.map((c) => parquetType(c, schema.decode)) : columns.map(() => 'INTEGER');
  const spec = columns.map((c, i) => `${sqlString(c)}: ${sqlString(types[i]!)}`).join(', ');
  // Spilled blocks (if any) go beside the output, in a folder removed after (and before: a conversion
  // cut short by a restart left it).
  const tempDir = join(dirname(parquetPath), PARQUET_TEMP_DIR);
  rmSync(tempDir, { recursive: true, force: true });
  try {
    const db = await openParquetDuckDb(columns.length, tempDir);
    try {
      await db.conn.run(
        `COPY (SELECT * FROM read_csv(${sqlString(csvPath)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', buffer_size = ${PARQUET_CSV_BUFFER_BYTES}, columns = {${spec}})) ` +
          `TO ${sqlString(parquetPath)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${PARQUET_ROW_GROUP_ROWS})`,
      );
    } finally {
      db.close();
    }
  } finally {
    rmSync(tempDir, { recursive: true, force: true });
  }
}
