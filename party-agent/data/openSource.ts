// openSource: the factory turning a SourceConfig and the consortium schema into a MarginalSource.
// Every source validates its rows against the schema before it answers any marginal query.
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import type { Schema } from '../../shared/schema/ConsortiumSchema.js';
import { formatIssues } from '../../shared/schema/ConsortiumSchema.js';
import type { OnInvalid, ValidationReport } from '../../shared/schema/ValidationReport.js';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { SourceConfigZ, type SourceConfig } from './SourceConfig.js';
import { SqlMarginalSource } from './SqlMarginalSource.js';
import { openCsvEngine, openParquetEngine } from './DuckDbEngine.js';
import { openPostgresEngine } from './PostgresEngine.js';
import type { TabularRowSource } from './trainingRows.js';

/** Counts, validation and the rows themselves (for gradient rounds and the control split, at the party only). */
export type ValidatingSource = MarginalSource & TabularRowSource & { validate(): Promise<ValidationReport> };

export interface OpenSourceOptions {
  /** Default `fail`: any invalid row stops the run before anything is released. */
  readonly onInvalid?: OnInvalid;
  /** Located problems kept in the report (default 20). */
  readonly maxExamples?: number;
  /** DuckDB threads (default: all cores). */
  readonly threads?: number;
  /** DuckDB's memory cap in MB (CSV and Parquet; default DUCKDB_MEMORY_LIMIT_MB). */
  readonly memoryLimitMB?: number;
  /** Where DuckDB spills above its cap (CSV and Parquet; default DuckDB's `.tmp`). */
  readonly tempDirectory?: string;
  /** Estimated result rows per marginal statement (default MAX_RESULT_ROWS; tests force chunking). */
  readonly maxResultRows?: number;
}

/** Opens a source; nothing is read beyond the header/metadata until `validate` or a query. */
export async function openSource(config: SourceConfig, schema: Schema, opts: OpenSourceOptions = {}): Promise<ValidatingSource> {
  const parsed = SourceConfigZ.safeParse(config);
  if (!parsed.success) throw new FedsynthError(ErrorCode.InvalidConfig, `invalid data source config: ${formatIssues(parsed.error)}`);
  const c = parsed.data;
  const duck = { threads: opts.threads, memoryLimitMB: opts.memoryLimitMB, tempDirectory: opts.tempDirectory };
  const engine =
    c.kind === 'csv'
      ? await openCsvEngine(c.path, c.delimiter, schema, { ignoreExtraColumns: c.ignoreExtraColumns, ...duck })
      : c.kind === 'parquet'
        ? await openParquetEngine(c.path, schema, { ignoreExtraColumns: c.ignoreExtraColumns, ...duck })
        : await openPostgresEngine(c, schema);
  return new SqlMarginalSource(engine, schema, { onInvalid: opts.onInvalid ?? 'fail', maxExamples: opts.maxExamples, maxResultRows: opts.maxResultRows });
}
