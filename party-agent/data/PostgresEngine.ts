// PostgresEngine: the SqlEngine for a PostgreSQL table, view or query, GROUP BY pushed down.
// Marginals come back as aggregate counts only; the rows themselves are read (streamed through a
// cursor) only for the gradient path (mechanism dpsgd) and the control split, and stay in the agent.
import type pg from 'pg';
import type { Schema } from '../../shared/schema/ConsortiumSchema.js';
import type { ValidationProblem } from '../../shared/schema/ValidationReport.js';
import { FedsynthError, ErrorCode, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import type { ParsedSourceConfig } from './SourceConfig.js';
import { sqlIdent, type RawKind } from './sqlEncoding.js';
import type { SqlEngine } from './SqlMarginalSource.js';
import type { RawColumn } from './marginalQuery.js';
import { locateBySql, type LocateOptions, type RowLocator } from './locateBySql.js';

type PgConfig = Extract<ParsedSourceConfig, { kind: 'postgres' }>;

/** PostgreSQL type OIDs of integers (int2, int4, int8) and other numbers (float4, float8, numeric). */
const INTEGER_OIDS = new Set([20, 21, 23]);
const NUMBER_OIDS = new Set([700, 701, 1700]);

function rawKind(oid: number): RawKind {
  return INTEGER_OIDS.has(oid) ? 'integer' : NUMBER_OIDS.has(oid) ? 'number' : 'text';
}

/** Maps a pg error to a typed error without leaking the connection string or password. */
function pgError(e: unknown, label: string): FedsynthError {
  const err = e as { code?: string; message?: string };
  const code = err.code ?? '';
  const msg = (err.message ?? String(e)).split('\n')[0];
  if (code === '28P01' || code === '28000') {
    return new FedsynthError(ErrorCode.SourceUnavailable, `${label}: authentication failed (${code})`, { source: label, sqlstate: code });
  }
  if (code === '42P01' || code === '3D000') {
    return new FedsynthError(ErrorCode.NotFound, `${label}: ${msg}`, { source: label, sqlstate: code });
  }
  if (code === '42501') {
    return new FedsynthError(ErrorCode.SourceUnavailable, `${label}: permission denied (${msg}); see docs/data.md for the grants`, {
      source: label,
      sqlstate: code,
    });
  }
  if (/^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET)$/.test(code) || /timeout|terminated/i.test(msg ?? '')) {
    return new FedsynthError(ErrorCode.SourceUnavailable, `${label}: database unreachable (${code || msg})`, { source: label });
  }
  if (code.startsWith('22')) {
    return new FedsynthError(ErrorCode.InvalidData, `${label}: ${msg}`, { source: label, sqlstate: code });
  }
  if (code.startsWith('42')) {
    return new FedsynthError(ErrorCode.InvalidConfig, `${label}: ${msg}`, { source: label, sqlstate: code });
  }
  return new FedsynthError(ErrorCode.SourceUnavailable, `${label}: ${msg}`, { source: label, sqlstate: code });
}

/** Rows per FETCH of a row scan: the driver holds one batch at a time. */
const SCAN_BATCH_ROWS = 10_000;

const RELKIND: Record<string, string> = { r: 'table', p: 'partitioned table', v: 'view', m: 'materialized view', f: 'foreign table' };
const NO_KEY = 'set keyColumn in the source config to name rows by a stable key';

/**
 * How validation problems name the relation and its rows: the configured key column; else `ctid`
 * for tables (the physical position); else, for views and queries, the scan-order row number.
 */
async function rowLocation(client: pg.Client, c: PgConfig, columns: ReadonlySet<string>, label: string): Promise<LocateOptions> {
  let kind = 'query';
  let relation = 'query';
  if (c.table !== undefined) {
    const name = c.table.split('.').map(sqlIdent).join('.');
    const r = await client.query<{ relkind: string }>('SELECT relkind FROM pg_catalog.pg_class WHERE oid = to_regclass($1)', [name]);
    kind = RELKIND[r.rows[0]?.relkind ?? ''] ?? 'relation';
    relation = `${kind} ${c.table}`;
  }
  let row: RowLocator;
  if (c.keyColumn !== undefined) {
    if (!columns.has(c.keyColumn)) {
      throw new FedsynthError(ErrorCode.InvalidConfig, `${label}: keyColumn "${c.keyColumn}" is not a column of the ${relation}`, { source: label, field: 'keyColumn' });
    }
    row = { kind: 'key', sql: `src.${sqlIdent(c.keyColumn)}`, column: c.keyColumn };
  } else if (kind === 'table' || kind === 'materialized view') {
    row = { kind: 'key', sql: 'src.ctid', column: 'ctid', note: `ctid is the physical row position (block, item), which changes when the row is updated or the table rewritten; ${NO_KEY}` };
  } else if (kind === 'partitioned table') {
    const sql = `CAST(src.tableoid::regclass AS TEXT) || ':' || CAST(src.ctid AS TEXT)`;
    row = { kind: 'key', sql, column: 'partition:ctid', note: `the partition and the physical row position in it, which changes when the row is updated; ${NO_KEY}` };
  } else {
    const note = `no stable row id exists for a ${kind} without a key: this is the row's position in the order PostgreSQL read it (no ORDER BY), which may change; ${NO_KEY}`;
    row = { kind: 'row-number', sql: 'row_number() OVER ()', base: 1, note };
  }
  return { relation, row };
}

class PostgresEngine implements SqlEngine {
  readonly dialect = 'postgres' as const;

  constructor(
    readonly label: string,
    readonly from: string,
    readonly raw: readonly RawColumn[],
    private readonly client: pg.Client,
    private readonly schema: Schema,
    private readonly located: LocateOptions,
  ) {}

  async query(sql: string): Promise<unknown[][]> {
    try {
      // A read-only transaction: even a mistaken query cannot write.
      await this.client.query('BEGIN READ ONLY');
      const r = await this.client.query({ text: sql, rowMode: 'array' });
      await this.client.query('COMMIT');
      return r.rows as unknown[][];
    } catch (e) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw pgError(e, this.label);
    }
  }

  async scan(sql: string, onBatch: (rows: readonly unknown[][]) => void): Promise<void> {
    try {
      await this.client.query('BEGIN READ ONLY');
      await this.client.query(`DECLARE fedsynth_rows NO SCROLL CURSOR FOR ${sql}`);
      for (;;) {
        const r = await this.client.query({ text: `FETCH FORWARD ${SCAN_BATCH_ROWS} FROM fedsynth_rows`, rowMode: 'array' });
        if (r.rows.length === 0) break;
        onBatch(r.rows as unknown[][]);
      }
      await this.client.query('COMMIT');
    } catch (e) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw isFedsynthError(e) ? e : pgError(e, this.label);
    }
  }

  async malformedRecords(): Promise<number> {
    return 0;
  }

  locateProblems(max: number): Promise<ValidationProblem[]> {
    return locateBySql(this, this.schema, this.from, max, this.located);
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** Connects (read-only session), checks the columns and their types. */
export async function openPostgresEngine(c: PgConfig, schema: Schema): Promise<SqlEngine> {
  const password = c.passwordEnv !== undefined ? process.env[c.passwordEnv] : undefined;
  if (c.passwordEnv !== undefined && password === undefined) {
    throw new FedsynthError(ErrorCode.InvalidConfig, `environment variable ${c.passwordEnv} (passwordEnv) is not set`);
  }
  const label = `postgres:${c.table ?? 'query'}`;
  // Loaded for a PostgreSQL source only.
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({
    connectionString: c.connectionString,
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    password,
    connectionTimeoutMillis: c.connectTimeoutMs,
    application_name: 'fedsynth-agent',
  });
  client.on('error', () => undefined); // reported through the failing query instead
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw pgError(e, label);
  }
  const from = c.table !== undefined ? `${c.table.split('.').map(sqlIdent).join('.')} src` : `(${c.query}) src`;
  let fields: { name: string; dataTypeID: number }[];
  let located: LocateOptions;
  try {
    await client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY');
    const r = await client.query(`SELECT * FROM ${from} LIMIT 0`);
    fields = r.fields;
    located = await rowLocation(client, c, new Set(fields.map((f) => f.name)), label);
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e instanceof FedsynthError ? e : pgError(e, label);
  }
  const types = new Map(fields.map((f) => [f.name, f.dataTypeID]));
  const missing = schema.columns.map((x) => x.name).filter((n) => !types.has(n));
  const extra = [...types.keys()].filter((n) => n !== c.keyColumn && !schema.columns.some((x) => x.name === n));
  if (missing.length > 0 || (extra.length > 0 && !c.ignoreExtraColumns)) {
    await client.end().catch(() => undefined);
    const what = missing.length > 0 ? `missing column(s) ${missing.join(', ')}` : `column(s) not in the schema: ${extra.join(', ')}`;
    throw new FedsynthError(ErrorCode.InvalidData, `${label}: ${what}`, { source: label, column: missing[0] ?? extra[0], missing, extra });
  }
  const raw = schema.columns.map((x) => ({
    ref: `src.${sqlIdent(x.name)}`,
    kind: rawKind(types.get(x.name)!),
  }));
  return new PostgresEngine(label, from, raw, client, schema, located);
}
