// SourceConfig: where a party's rows live (CSV, Parquet or PostgreSQL), as a zod-validated union.
// The agent config embeds `SourceConfigZ`; secrets are named by environment variable, never inlined.
import { z } from 'zod';

const file = { path: z.string().min(1) };

export const CsvSourceConfigZ = z.object({
  kind: z.literal('csv'),
  ...file,
  delimiter: z.string().length(1).default(','),
  /** Columns in the file but not in the schema: an error unless this is true. */
  ignoreExtraColumns: z.boolean().default(false),
});

export const ParquetSourceConfigZ = z.object({
  kind: z.literal('parquet'),
  ...file,
  ignoreExtraColumns: z.boolean().default(false),
});

export const PostgresSourceConfigZ = z
  .object({
    kind: z.literal('postgres'),
    /** A libpq URL; or host/port/database/user with the password in env var `passwordEnv`. */
    connectionString: z.string().min(1).optional(),
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    database: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    passwordEnv: z.string().min(1).optional(),
    /** A table or view name (optionally schema-qualified: `schema.table`) ... */
    table: z.string().min(1).optional(),
    /** ... or a read-only SELECT query whose columns are the schema's columns. */
    query: z.string().min(1).optional(),
    connectTimeoutMs: z.number().int().positive().default(5000),
    ignoreExtraColumns: z.boolean().default(true),
    /**
     * A column that identifies a row (a primary key or any unique id) of the table, view or query,
     * named in validation problems so the operator can find the row. Without it, problems name a
     * table row by `ctid` (its physical position) and a view or query row by its scan-order number.
     */
    keyColumn: z.string().min(1).optional(),
  })
  .refine((c) => (c.table === undefined) !== (c.query === undefined), {
    message: 'exactly one of table or query is required',
    path: ['table'],
  })
  .refine((c) => c.connectionString !== undefined || c.host !== undefined, {
    message: 'connectionString or host is required',
    path: ['connectionString'],
  });

export const SourceConfigZ = z.discriminatedUnion('kind', [CsvSourceConfigZ, ParquetSourceConfigZ, PostgresSourceConfigZ]);

export type SourceConfig = z.input<typeof SourceConfigZ>;
export type ParsedSourceConfig = z.output<typeof SourceConfigZ>;
