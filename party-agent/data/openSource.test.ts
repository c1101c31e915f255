// Tests: the same Adult rows from CSV, Parquet and PostgreSQL give identical marginals, equal to a
// brute-force JS count (csvRecords + encodeValue); PostgreSQL failures become typed errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DuckDBInstance } from '@duckdb/node-api';
import { parseSchema, type Schema } from '../../shared/schema/ConsortiumSchema.js';
import { columnLayout } from '../../shared/schema/columnLayout.js';
import { encodeValue } from '../../shared/schema/encodeValue.js';
import { isFedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { csvRecords } from './csvRecords.js';
import { openSource } from './openSource.js';
import { startTestPostgres, type TestPostgres } from '../../test/support/testPostgres.js';

const SAMPLE_ROWS = 3000;
const schema: Schema = parseSchema(JSON.parse(readFileSync('data/adult-raw.schema.json', 'utf8')));
const names = schema.columns.map((c) => c.name);
const INT_COLS = new Set(['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']);

let dir: string;
let csvPath: string;
let parquetPath: string;
let pgdb: TestPostgres | undefined;
let pgUnavailable = '';

/** Brute force: counts of each attribute set from the JS reader and the reference encoder. */
async function referenceCounts(path: string, sets: readonly (readonly string[])[]): Promise<Float64Array[]> {
  const sizes = schema.columns.map((c) => columnLayout(c).size);
  const idx = sets.map((s) => s.map((a) => names.indexOf(a)));
  const out = idx.map((s) => new Float64Array(s.reduce((p, c) => p * sizes[c]!, 1)));
  let header: (string | null)[] | undefined;
  for await (const rec of csvRecords(path)) {
    if (!header) {
      header = rec.fields;
      continue;
    }
    const codes = schema.columns.map((c) => {
      const r = encodeValue(c, rec.fields[header!.indexOf(c.name)] ?? null);
      if (!r.ok) throw new Error(`reference: invalid ${c.name}`);
      return r.code;
    });
    idx.forEach((s, k) => {
      let j = 0;
      for (const c of s) j = j * sizes[c]! + codes[c]!;
      out[k]![j]! += 1;
    });
  }
  return out;
}

const allSets: string[][] = [[]];
for (let i = 0; i < names.length; i++) {
  allSets.push([names[i]!]);
  for (let j = i + 1; j < names.length; j++) allSets.push([names[i]!, names[j]!]);
}
allSets.push(['age', 'workclass', 'education', 'income'], ['age', 'workclass', 'income']);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fedsynth-src-'));
  const lines = readFileSync('data/adult-raw.csv', 'utf8').split('\n');
  csvPath = join(dir, 'sample.csv');
  writeFileSync(csvPath, lines.slice(0, SAMPLE_ROWS + 1).join('\n') + '\n');
  parquetPath = join(dir, 'sample.parquet');
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  await conn.run(`COPY (SELECT * FROM read_csv('${csvPath}', header=true)) TO '${parquetPath}' (FORMAT parquet)`);
  conn.closeSync();
  inst.closeSync();

  const started = await startTestPostgres();
  if ('unavailable' in started) {
    pgUnavailable = started.unavailable;
    return;
  }
  pgdb = started;
  const admin = new pg.Client({ connectionString: pgdb.admin });
  await admin.connect();
  const colDefs = names.map((n) => `"${n}" ${INT_COLS.has(n) ? 'integer' : 'text'}`).join(', ');
  await admin.query(`CREATE TABLE adult (id serial, ${colDefs})`);
  const rows = lines.slice(1, SAMPLE_ROWS + 1).map((l) => l.split(','));
  for (let b = 0; b < rows.length; b += 500) {
    const batch = rows.slice(b, b + 500);
    const params: (string | null)[] = [];
    const tuples = batch.map((r) => `(${r.map((v) => (params.push(v === '' ? null : v), `$${params.length}`)).join(', ')})`);
    await admin.query(`INSERT INTO adult (${names.map((n) => `"${n}"`).join(', ')}) VALUES ${tuples.join(', ')}`, params);
  }
  await admin.query(`CREATE VIEW adult_text AS SELECT ${names.map((n) => `CAST("${n}" AS text) AS "${n}"`).join(', ')} FROM adult`);
  await admin.end();
}, 120_000);

afterAll(async () => {
  await pgdb?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function expectError(p: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    expect(isFedsynthError(e)).toBe(true);
    if (!isFedsynthError(e)) throw e;
    expect(e.code).toBe(code);
    return { message: e.message, ...e.details };
  }
  throw new Error('expected an error');
}

describe('openSource: same rows, same counts', () => {
  it('CSV matches the brute-force reference on all 1- and 2-way marginals', async () => {
    const ref = await referenceCounts(csvPath, allSets);
    const src = await openSource({ kind: 'csv', path: csvPath }, schema);
    const r = await src.validate();
    expect(r.ok).toBe(true);
    expect(r.rowsUsed).toBe(SAMPLE_ROWS);
    expect(await src.rowCount()).toBe(SAMPLE_ROWS);
    const got = await src.marginals(allSets);
    got.forEach((g, k) => expect(Array.from(g), allSets[k]!.join('+')).toEqual(Array.from(ref[k]!)));
    await src.close();
  });

  it('bounded statements (result-row cap 1: one statement per set) give the same counts', async () => {
    const ref = await referenceCounts(csvPath, allSets);
    const src = await openSource({ kind: 'csv', path: csvPath }, schema, { maxResultRows: 1 });
    const got = await src.marginals(allSets);
    got.forEach((g, k) => expect(Array.from(g), allSets[k]!.join('+')).toEqual(Array.from(ref[k]!)));
    await src.close();
  });

  it('Parquet (typed numeric columns) equals CSV', async () => {
    const csv = await openSource({ kind: 'csv', path: csvPath }, schema);
    const pq = await openSource({ kind: 'parquet', path: parquetPath }, schema);
    expect((await pq.validate()).ok).toBe(true);
    const [a, b] = [await csv.marginals(allSets), await pq.marginals(allSets)];
    a.forEach((x, k) => expect(Array.from(b[k]!)).toEqual(Array.from(x)));
    await csv.close();
    await pq.close();
  });

  it('PostgreSQL table, text view and query equal CSV (read-only role)', async (ctx) => {
    if (!pgdb) return ctx.skip(pgUnavailable);
    const csv = await openSource({ kind: 'csv', path: csvPath }, schema);
    const want = await csv.marginals(allSets);
    await csv.close();
    for (const cfg of [
      { table: 'adult' },
      { table: 'public.adult_text' },
      { query: `SELECT * FROM adult WHERE id > 0` },
    ]) {
      const src = await openSource({ kind: 'postgres', connectionString: pgdb.readOnly, ...cfg }, schema);
      expect((await src.validate()).ok).toBe(true);
      const got = await src.marginals(allSets);
      got.forEach((x, k) => expect(Array.from(x), JSON.stringify(cfg)).toEqual(Array.from(want[k]!)));
      await src.close();
    }
  });

  it('PostgreSQL: host/port/user with passwordEnv, wrong password, unreachable, missing table', async (ctx) => {
    if (!pgdb) return ctx.skip(pgUnavailable);
    const u = new URL(pgdb.readOnly);
    process.env.FEDSYNTH_TEST_PG_PW = decodeURIComponent(u.password);
    const base = { kind: 'postgres' as const, host: u.hostname, port: Number(u.port), database: u.pathname.slice(1), user: u.username };
    const ok = await openSource({ ...base, passwordEnv: 'FEDSYNTH_TEST_PG_PW', table: 'adult' }, schema);
    expect(await ok.rowCount()).toBe(SAMPLE_ROWS);
    await ok.close();
    process.env.FEDSYNTH_TEST_PG_WRONG = 'not-the-password';
    const wrong = await expectError(openSource({ ...base, passwordEnv: 'FEDSYNTH_TEST_PG_WRONG', table: 'adult' }, schema), ErrorCode.SourceUnavailable);
    expect(String(wrong.message)).toMatch(/authentication failed/);
    expect(String(wrong.message)).not.toContain('not-the-password');
    await expectError(openSource({ ...base, port: 1, passwordEnv: 'FEDSYNTH_TEST_PG_PW', table: 'adult' }, schema), ErrorCode.SourceUnavailable);
    await expectError(openSource({ ...base, passwordEnv: 'FEDSYNTH_TEST_PG_PW', table: 'nope' }, schema), ErrorCode.NotFound);
    await expectError(openSource({ ...base, passwordEnv: 'FEDSYNTH_UNSET_VAR', table: 'adult' }, schema), ErrorCode.InvalidConfig);
  });

  it('PostgreSQL: invalid values are reported by column and value, nothing released', async (ctx) => {
    if (!pgdb) return ctx.skip(pgUnavailable);
    const src = await openSource(
      { kind: 'postgres', connectionString: pgdb.readOnly, query: `SELECT ${names.map((n) => (n === 'race' ? `CASE WHEN id = 7 THEN 'Martian' ELSE race END AS race` : `"${n}"`)).join(', ')} FROM adult` },
      schema,
    );
    const r = await src.validate();
    expect(r.ok).toBe(false);
    expect(r.invalidByColumn.race).toEqual({ missing: 0, outOfDomain: 1, wrongType: 0 });
    expect(r.problems[0]).toMatchObject({ column: 'race', value: 'Martian', reason: 'out-of-domain' });
    await expectError(src.marginals([['race']]), ErrorCode.InvalidData);
    await src.close();
  });
});
