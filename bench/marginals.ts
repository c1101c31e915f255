// Benchmark: all 2-way marginals of Adult resampled to 10 million rows, from Parquet (DuckDB)
// and from PostgreSQL (GROUP BY pushed down; skipped with a note when PostgreSQL is unavailable).
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseSchema, type Schema } from '../shared/schema/ConsortiumSchema.js';
import { openSource } from '../party-agent/data/openSource.js';
import type { SourceConfig } from '../party-agent/data/SourceConfig.js';
import { startTestPostgres } from '../test/support/testPostgres.js';

const root = fileURLToPath(new URL('..', import.meta.url)).replace(/dist\/$/, '');
const RAW = join(root, 'data/adult-raw.csv');
const ROWS = Number(process.env.FEDSYNTH_BENCH_ROWS ?? 10_000_000);
const PG_ROWS = Number(process.env.FEDSYNTH_BENCH_PG_ROWS ?? 1_000_000);
const INT_COLS = new Set(['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']);

/** Adult resampled with replacement (row i = source row hash(i) mod n), cached as Parquet. */
async function resampledParquet(rows: number): Promise<string> {
  const dir = join(tmpdir(), 'fedsynth-bench');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `adult-${rows}.parquet`);
  if (existsSync(path)) return path;
  const inst = await DuckDBInstance.create(':memory:');
  const c = await inst.connect();
  await c.run(`CREATE TABLE a AS SELECT CAST(row_number() OVER () - 1 AS BIGINT) AS rn, * FROM read_csv('${RAW}', header=true)`);
  await c.run(
    `COPY (SELECT a.* EXCLUDE (rn) FROM range(${rows}) r JOIN a ON a.rn = CAST(hash(r.range) % 32561 AS BIGINT)) TO '${path}.tmp' (FORMAT parquet)`,
  );
  c.closeSync();
  inst.closeSync();
  renameSync(`${path}.tmp`, path);
  return path;
}

function pairs(schema: Schema): string[][] {
  const names = schema.columns.map((c) => c.name);
  const out: string[][] = [];
  for (let i = 0; i < names.length; i++) for (let j = i + 1; j < names.length; j++) out.push([names[i]!, names[j]!]);
  return out;
}

async function measure(
  emit: (rec: Record<string, unknown>) => void,
  label: string,
  config: SourceConfig,
  schema: Schema,
  threads: number,
  extra: Record<string, unknown>,
): Promise<void> {
  const sets = pairs(schema);
  const src = await openSource(config, schema, { threads });
  try {
    let t = performance.now();
    const report = await src.validate();
    const validateSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const counts = await src.marginals(sets);
    const seconds = (performance.now() - t) / 1000;
    const rows = report.rowsUsed;
    const total = counts[0]!.reduce((a, b) => a + b, 0);
    const updates = (rows * sets.length) / seconds;
    emit({
      bench: 'marginals',
      source: label,
      rows,
      marginals: sets.length,
      threads,
      validateSeconds: Number(validateSeconds.toFixed(2)),
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(rows / seconds),
      rowMarginalUpdatesPerSecond: Math.round(updates),
      rowMarginalUpdatesPerSecondPerCore: Math.round(updates / threads),
      countsConsistent: total === rows,
      rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
      ...extra,
    });
  } finally {
    await src.close();
  }
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const schema = parseSchema(JSON.parse(readFileSync(join(root, 'data/adult-raw.schema.json'), 'utf8')));
  const threads = Number(process.env.FEDSYNTH_BENCH_THREADS ?? (await import('node:os')).availableParallelism());
  const t = performance.now();
  const parquet = await resampledParquet(ROWS);
  const genSeconds = (performance.now() - t) / 1000;
  await measure(emit, 'parquet', { kind: 'parquet', path: parquet }, schema, threads, { generateSeconds: Number(genSeconds.toFixed(1)) });

  if (process.env.FEDSYNTH_BENCH_SKIP_PG === '1') {
    emit({ bench: 'marginals', source: 'postgres', skipped: true, note: 'FEDSYNTH_BENCH_SKIP_PG=1' });
    return;
  }
  const started = await startTestPostgres();
  if ('unavailable' in started) {
    emit({ bench: 'marginals', source: 'postgres', skipped: true, note: started.unavailable });
    return;
  }
  try {
    const admin = new pg.Client({ connectionString: started.admin });
    await admin.connect();
    const names = schema.columns.map((c) => c.name);
    const defs = names.map((n) => `"${n}" ${INT_COLS.has(n) ? 'integer' : 'text'}`).join(', ');
    await admin.query(`DROP TABLE IF EXISTS adult_src, adult_big`);
    await admin.query(`CREATE TABLE adult_src (id serial PRIMARY KEY, ${defs})`);
    const lines = readFileSync(RAW, 'utf8').trim().split('\n').slice(1);
    for (let b = 0; b < lines.length; b += 1000) {
      const params: (string | null)[] = [];
      const tuples = lines.slice(b, b + 1000).map((l) => `(${l.split(',').map((v) => (params.push(v === '' ? null : v), `$${params.length}`)).join(', ')})`);
      await admin.query(`INSERT INTO adult_src (${names.map((n) => `"${n}"`).join(', ')}) VALUES ${tuples.join(', ')}`, params);
    }
    const cols = names.map((n) => `a."${n}"`).join(', ');
    await admin.query(
      `CREATE TABLE adult_big AS SELECT ${cols} FROM generate_series(0, ${PG_ROWS - 1}) g JOIN adult_src a ON a.id = 1 + abs(hashint8(g)) % ${lines.length}`,
    );
    await admin.query('ANALYZE adult_big');
    await admin.end();
    // PostgreSQL runs each query on one backend (parallel workers aside): report per core = total.
    await measure(emit, 'postgres', { kind: 'postgres', connectionString: started.readOnly, table: 'adult_big' }, schema, 1, {
      note: `PostgreSQL 15 on this host, ${PG_ROWS} rows (FEDSYNTH_BENCH_PG_ROWS), read-only role`,
    });
  } finally {
    await started.cleanup();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run((rec) => process.stdout.write(JSON.stringify(rec) + '\n'));
}
