// Tests against a real PostgreSQL: validation problems name the relation, the row (configured key
// column, else ctid for tables, else a scan-order number for views/queries), the column and value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseSchema, type Schema } from '../../shared/schema/ConsortiumSchema.js';
import { formatProblem, type ValidationProblem } from '../../shared/schema/ValidationReport.js';
import { isFedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { runMain } from '../../test/support/captureCli.js';
import { openSource } from './openSource.js';
import { startTestPostgres, type TestPostgres } from '../../test/support/testPostgres.js';

const schemaJson = {
  version: 1,
  columns: [
    { name: 'age', type: 'integer', min: 0, max: 120 },
    { name: 'race', type: 'categorical', categories: ['A', 'B', 'C'] },
    { name: 'weight', type: 'numeric', edges: [0, 50, 100, 200] },
  ],
};
const schema: Schema = parseSchema(schemaJson);
const ROWS = 40;
/** Planted faults: 1-based insertion position -> [patient id, column, bad value]. */
const PLANTED = new Map<number, [string, string, string]>([
  [7, ['P-0007', 'race', 'Martian']], // unknown category
  [19, ['P-0019', 'age', '150']], // out of domain
  [33, ['P-0033', 'weight', 'heavy']], // wrong type
]);

let pgdb: TestPostgres | undefined;
let pgUnavailable = '';
let admin: pg.Client | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fedsynth-pgprob-'));
  const started = await startTestPostgres();
  if ('unavailable' in started) {
    pgUnavailable = started.unavailable;
    return;
  }
  pgdb = started;
  admin = new pg.Client({ connectionString: pgdb.admin });
  await admin.connect();
  await admin.query('CREATE TABLE patients (patient_id text PRIMARY KEY, age integer, race text, weight text)');
  for (let i = 1; i <= ROWS; i++) {
    const v: Record<string, string> = { age: String(20 + i), race: 'ABC'[i % 3]!, weight: String(40 + i) };
    const p = PLANTED.get(i);
    if (p) v[p[1]] = p[2];
    await admin.query('INSERT INTO patients VALUES ($1, $2, $3, $4)', [`P-${String(i).padStart(4, '0')}`, v.age, v.race, v.weight]);
  }
  await admin.query('CREATE VIEW patients_v AS SELECT age, race, weight FROM patients');
}, 120_000);

afterAll(async () => {
  await admin?.end();
  await pgdb?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function problemsOf(cfg: Record<string, unknown>): Promise<ValidationProblem[]> {
  const src = await openSource({ kind: 'postgres', connectionString: pgdb!.readOnly, ...cfg } as never, schema);
  try {
    const r = await src.validate();
    expect(r.ok).toBe(false);
    expect(r.invalidByColumn).toEqual({
      race: { missing: 0, outOfDomain: 1, wrongType: 0 },
      age: { missing: 0, outOfDomain: 1, wrongType: 0 },
      weight: { missing: 0, outOfDomain: 0, wrongType: 1 },
    });
    return [...r.problems];
  } finally {
    await src.close();
  }
}

function byColumn(ps: readonly ValidationProblem[]): Map<string, ValidationProblem> {
  return new Map(ps.map((p) => [p.column!, p]));
}

describe('PostgreSQL validation problems name the row', () => {
  it('table with keyColumn: relation, key value, column and value (wrong type, unknown category, out of domain)', async (ctx) => {
    if (!pgdb) return ctx.skip(pgUnavailable);
    // The key column is not a schema column: accepted even with ignoreExtraColumns false.
    const ps = byColumn(await problemsOf({ table: 'public.patients', keyColumn: 'patient_id', ignoreExtraColumns: false }));
    for (const [, [id, column, value]] of PLANTED) {
      const p = ps.get(column)!;
      expect(p).toMatchObject({ relation: 'table public.patients', key: { column: 'patient_id', value: id }, column, value });
      expect(formatProblem(p)).toContain(`table public.patients, patient_id "${id}" column "${column}" value "${value}"`);
    }
    expect(ps.get('race')!.reason).toBe('out-of-domain');
    expect(ps.get('age')!.reason).toBe('out-of-domain');
    expect(ps.get('weight')!.reason).toBe('wrong-type');
  });

  it('table without a key: ctid, said to be the physical row position, and it finds the planted row', async (ctx) => {
    if (!pgdb) return ctx.skip(pgUnavailable);
    const ps = byColumn(await problemsOf({ table: 'patients' }));
    for (const [, [id, column, value]] of PLANTED) {
      const p = ps.get(column)!;
      expect(p).toMatchObject({ relation: 'table patients', key: { column: 'ctid' }, value });
      expect(p.message).toMatch(/ctid is the physical row position .* set keyColumn in the source config/);
      const back = await admin!.query<{ patient_id: string }>('SELECT patient_id FROM patients WHERE ctid = $1::tid', [p.key!.value]);
      expect(back.rows[0]?.patient_id).toBe(id);
    }
  });

  it('view or query without a key: scan-order row number, "no stable row id", suggests keyColumn', async (ctx) => {
    if (!pgdb) return ctx.skip(pgUnavailable);
    for (const [cfg, relation] of [
      [{ table: 'patients_v' }, 'view patients_v'],
      [{ query: 'SELECT age, race, weight FROM patients' }, 'query'],
    ] as const) {
      const ps = byColumn(await problemsOf(cfg));
      for (const [pos, [, column, value]] of PLANTED) {
        const p = ps.get(column)!;
        // A freshly loaded small heap is scanned in insertion order.
        expect(p, relation).toMatchObject({ relation, row: pos, value });
        expect(p.key).toBeUndefined();
        expect(p.message).toMatch(/no stable row id exists for a (view|query) without a key: .* set keyColumn in the source config/);
        expect(formatProblem(p)).toContain(`${relation}, row ${pos} column "${column}"`);
      }
    }
  });

  it('query with keyColumn names the key value; an unknown keyColumn is INVALID_CONFIG', async (ctx) => {
    if (!pgdb) return ctx.skip(pgUnavailable);
    const ps = byColumn(await problemsOf({ query: 'SELECT patient_id AS pid, age, race, weight FROM patients WHERE age IS NOT NULL', keyColumn: 'pid' }));
    expect(ps.get('race')).toMatchObject({ relation: 'query', key: { column: 'pid', value: 'P-0007' }, value: 'Martian' });
    for (const cfg of [{ table: 'patients', keyColumn: 'nope' }, { table: 'patients', keyColumn: '' }]) {
      try {
        await openSource({ kind: 'postgres', connectionString: pgdb.readOnly, ...cfg }, schema);
        throw new Error('expected INVALID_CONFIG');
      } catch (e) {
        expect(isFedsynthError(e) && e.code).toBe(ErrorCode.InvalidConfig);
        expect(String((e as Error).message)).toMatch(/keyColumn/);
      }
    }
  });

  it('fedsynth schema check --source prints the key value and exits 65', async (ctx) => {
    if (!pgdb) return ctx.skip(pgUnavailable);
    const cfg = join(dir, 'source.json');
    writeFileSync(cfg, JSON.stringify({ kind: 'postgres', connectionString: pgdb.readOnly, table: 'patients', keyColumn: 'patient_id' }));
    const s = join(dir, 'schema.json');
    writeFileSync(s, JSON.stringify(schemaJson));
    const r = await runMain(['schema', 'check', '--schema', s, '--source', cfg]);
    expect(r.code).toBe(65);
    expect(r.out).toContain('table patients, patient_id "P-0007" column "race" value "Martian"');
    expect(r.out).toContain('patient_id "P-0033" column "weight" value "heavy"');
  });
});
