// ParquetWriter: converts a study's synthetic.csv into synthetic.parquet with DuckDB, typed from the
// consortium schema (labels as VARCHAR, numbers as DOUBLE/BIGINT, dates as DATE) or as integer codes.
import { withInMemoryDuckDb } from '../../platform/duckdb/inMemoryDuckDb.js';
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

/**
 * Writes `parquetPath` from `csvPath` (header row, RFC 4180). With a schema, cells are typed as the
 * schema decodes them (empty cells are NULL); without one, every column is an INTEGER code.
 * One thread, so the file's bytes depend only on the CSV.
 */
export async function writeParquet(csvPath: string, parquetPath: string, columns: readonly string[], schema?: Schema): Promise<void> {
  const types = schema ? schema.columns.map((c) => parquetType(c, schema.decode)) : columns.map(() => 'INTEGER');
  const spec = columns.map((c, i) => `${sqlString(c)}: ${sqlString(types[i]!)}`).join(', ');
  await withInMemoryDuckDb(
    (conn) =>
      conn.run(
        `COPY (SELECT * FROM read_csv(${sqlString(csvPath)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {${spec}})) ` +
          `TO ${sqlString(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`,
      ),
    1,
  );
}
