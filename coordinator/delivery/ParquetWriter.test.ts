// Tests of synthetic.parquet: typed from the schema (labels, numbers, dates, NULL for the missing bin,
// VARCHAR where an "other" label may appear), integer codes without a schema, same rows as the CSV.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, expect, it } from 'vitest';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { writeParquet } from './ParquetWriter.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-parquet-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function read(path: string): Promise<{ types: string[]; rows: unknown[][] }> {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${path}')`);
    const r = await conn.runAndReadAll(`SELECT * FROM read_parquet('${path}')`);
    return { types: d.getRows().map((x) => String(x[1])), rows: r.getRows() };
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

it('types columns from the schema; empty cells are NULL; "other" forces VARCHAR', async () => {
  const schema = parseSchema({
    version: 1,
    columns: [
      { name: 'name, with comma', type: 'categorical', categories: ['a "q"', 'b'], missing: 'bin' },
      { name: 'x', type: 'numeric', edges: [0, 1, 2] },
      { name: 'n', type: 'integer', min: 1, max: 3 },
      { name: 'd', type: 'date', granularity: 'day', min: '2020-01-01', max: '2020-12-31' },
      { name: 'o', type: 'integer', edges: [0, 10, 20], outOfDomain: 'other' },
    ],
  });
  const csv = join(root, 's.csv');
  writeFileSync(csv, '"name, with comma",x,n,d,o\n"a ""q""",0.5,2,2020-03-04,other\n,1.25,3,2020-12-31,15\n');
  const out = join(root, 's.parquet');
  await writeParquet(csv, out, schema.columns.map((c) => c.name), schema);
  const { types, rows } = await read(out);
  expect(types).toEqual(['VARCHAR', 'DOUBLE', 'BIGINT', 'DATE', 'VARCHAR']);
  expect(rows.length).toBe(2);
  expect(rows[0]![0]).toBe('a "q"');
  expect(rows[1]![0]).toBeNull();
  expect(rows[0]![1]).toBe(0.5);
  expect(rows[0]![2]).toBe(2n);
  expect(String(rows[1]![3])).toBe('2020-12-31');
  expect(rows.map((r) => r[4])).toEqual(['other', '15']);
});

it('writes integer codes without a schema', async () => {
  const csv = join(root, 'c.csv');
  writeFileSync(csv, 'a,b\n0,1\n2,0\n');
  const out = join(root, 'c.parquet');
  await writeParquet(csv, out, ['a', 'b']);
  const { types, rows } = await read(out);
  expect(types).toEqual(['INTEGER', 'INTEGER']);
  expect(rows).toEqual([
    [0, 1],
    [2, 0],
  ]);
});
