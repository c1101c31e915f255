// Tests: the SQL encoders (DuckDB and PostgreSQL) agree with the reference encoder encodeValue on
// tricky values of every column type, as text and as native numbers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parseSchema, type Column } from '../../shared/schema/ConsortiumSchema.js';
import { encodeValue, InvalidCode } from '../../shared/schema/encodeValue.js';
import { encodeColumnSql, sqlString, type Dialect, type RawKind } from './sqlEncoding.js';
import { startTestPostgres, type TestPostgres } from '../../test/support/testPostgres.js';

const schema = parseSchema({
  version: 1,
  columns: [
    { name: 'c', type: 'categorical', categories: ['a', "it's", 'B'], missing: 'bin', outOfDomain: 'other', missingTokens: ['', '?'] },
    { name: 'x', type: 'numeric', edges: [-1, 0, 0.1, 2.5, 1e6], outOfDomain: 'clamp' },
    { name: 'y', type: 'numeric', edges: [0, 10, 20, 30], missing: 'other', outOfDomain: 'missing' },
    { name: 'i', type: 'integer', edges: [0, 10, 20, 30, 40] },
    { name: 'r', type: 'integer', min: -3, max: 3, outOfDomain: 'other' },
    { name: 'dy', type: 'date', granularity: 'year', min: '1999-03-01', max: '2004-01-01' },
    { name: 'dm', type: 'date', granularity: 'month', min: '2000-11-20', max: '2001-03-01', outOfDomain: 'clamp' },
    { name: 'dd', type: 'date', granularity: 'day', min: '1999-12-30', max: '2000-03-05' },
  ],
});

const TEXT = [null, '', ' ', '?', 'a', ' a ', "it's", 'b', 'B', 'NaN', 'Infinity', '-inf', '1e400', '-1e400', '1e-400', '0x10', '1,5', '1_000',
  '-1', '-1.0001', '0', '0.1', '0.09999999999999999', '2.5', '10', '20', '29.999', '30', '30.0001', '40', '41', '+3', '-3', '3.0', '3.5', '4', '-4',
  '.5', '5.', '1e1', '1E+1', '2000-02-29', '1999-02-29', '2000-13-01', '2000-00-10', '2000-01-32', '1999-12-30', '1999-12-29', '2000-03-05',
  '2000-03-06', '2001-02-28T12:00:00', '2001-03-01 10:00', '2004-12-31', '2005-01-01', '1999-01-01', '1998-12-31', '2000-11-01', '2002-01-01', 'x2000-01-01'];
const NUMS = [0, -1, 0.1, 2.5, 1e6, 1e6 + 1, -1.5, 9.99, 10, 29.5, 30, 30.5, 3, -3, 4, 40, 41, Number.NaN, Infinity, -Infinity];

let duck: DuckDBConnection;
let pgdb: TestPostgres | undefined;
let pgc: pg.Client | undefined;

beforeAll(async () => {
  duck = await (await DuckDBInstance.create(':memory:')).connect();
  const s = await startTestPostgres();
  if (!('unavailable' in s)) {
    pgdb = s;
    pgc = new pg.Client({ connectionString: s.readOnly });
    await pgc.connect();
  }
}, 120_000);
afterAll(async () => {
  await pgc?.end();
  await pgdb?.cleanup();
});

async function sqlCodes(dl: Dialect, col: Column, values: readonly (string | number | null)[], kind: RawKind): Promise<number[]> {
  const numType = kind === 'integer' ? 'BIGINT' : 'DOUBLE PRECISION';
  const lit = (v: string | number | null): string =>
    v === null ? 'NULL' : typeof v === 'number' ? `CAST(${sqlString(String(v))} AS ${numType})` : `CAST(${sqlString(v)} AS ${dl === 'duckdb' ? 'VARCHAR' : 'TEXT'})`;
  const sql = `SELECT ${values.map((v, i) => `${encodeColumnSql(col, `(${lit(v)})`, kind, dl)} AS c${i}`).join(', ')}`;
  if (dl === 'duckdb') return ((await duck.runAndReadAll(sql)).getRows()[0] as unknown[]).map(Number);
  return ((await pgc!.query({ text: sql, rowMode: 'array' })).rows[0] as unknown[]).map(Number);
}

function reference(col: Column, values: readonly (string | number | null)[]): number[] {
  return values.map((v) => {
    const r = encodeValue(col, v === null ? null : String(v));
    return r.ok ? r.code : InvalidCode[r.reason];
  });
}

describe.each(['duckdb', 'postgres'] as const)('SQL encoder agrees with encodeValue (%s)', (dl) => {
  for (const col of schema.columns) {
    it(`column ${col.name}: text values`, async (ctx) => {
      if (dl === 'postgres' && !pgc) return ctx.skip('PostgreSQL unavailable');
      expect(await sqlCodes(dl, col, TEXT, 'text')).toEqual(reference(col, TEXT));
    });
  }

  it('native numbers (double and integer columns)', async (ctx) => {
    if (dl === 'postgres' && !pgc) return ctx.skip('PostgreSQL unavailable');
    for (const col of schema.columns.filter((c) => c.type === 'numeric' || c.type === 'integer')) {
      // JS prints NaN/Infinity as words, which the reference rejects as wrong-type: the same for natives.
      expect(await sqlCodes(dl, col, NUMS, 'number'), col.name).toEqual(reference(col, NUMS.map((v) => (Number.isFinite(v) ? String(v) : 'NaN'))));
      const ints = NUMS.filter(Number.isInteger);
      expect(await sqlCodes(dl, col, ints, 'integer'), col.name).toEqual(reference(col, ints));
    }
  });
});

it('a planted fault is detected: an encoder off by one bin disagrees', async () => {
  const col = schema.columns[3]!;
  const shifted = { ...col, edges: [0, 11, 20, 30, 40] } as Column;
  expect(await sqlCodes('duckdb', shifted, TEXT, 'text')).not.toEqual(reference(col, TEXT));
});
