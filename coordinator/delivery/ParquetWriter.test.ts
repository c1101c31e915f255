// Tests of synthetic.parquet: typed from the schema (labels, numbers, dates, NULL for the missing bin,
// VARCHAR where an "other" label may appear), integer codes without a schema, same rows as the CSV;
// the conversion's DuckDB is bounded (one thread, a memory ceiling, its own spill folder).
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, expect, it } from 'vitest';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { PARQUET_ROW_GROUP_ROWS, PARQUET_TEMP_DIR, openParquetDuckDb, parquetMemoryLimitMB, writeParquet } from './ParquetWriter.js';

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

it('converts on a DuckDB with one thread, a memory ceiling by columns and its own spill folder, removed after', async () => {
  const spill = join(root, 'spill');
  const db = await openParquetDuckDb(40, spill);
  try {
    const r = await db.conn.runAndReadAll(
      "SELECT current_setting('threads'), current_setting('memory_limit'), current_setting('temp_directory'), current_setting('allocator_background_threads')",
    );
    const [threads, limit, temp, background] = r.getRows()[0]!.map(String);
    expect(threads).toBe('1');
    expect(parquetMemoryLimitMB(40)).toBe(448);
    expect(limit).toBe('427.2 MiB'); // 448 MB as DuckDB prints it
    expect(temp).toBe(spill);
    expect(background).toBe('true');
  } finally {
    db.close();
  }
  const csv = join(root, 't.csv');
  writeFileSync(csv, 'a,b\n0,1\n');
  mkdirSync(join(root, PARQUET_TEMP_DIR)); // left by a conversion cut short
  await writeParquet(csv, join(root, 't.parquet'), ['a', 'b']);
  expect(readdirSync(root).filter((f) => f.startsWith(PARQUET_TEMP_DIR))).toEqual([]);
});

it('writes row groups of about PARQUET_ROW_GROUP_ROWS rows (not DuckDB\'s 122,880), the CSV\'s rows in order, the same bytes every time', async () => {
  const n = 200_000;
  const lines = ['a,b,c,d'];
  for (let i = 0; i < n; i++) lines.push(`${i},${i % 7},${(i * 31) % 1000},${i % 2}`);
  const csv = join(root, 'g.csv');
  writeFileSync(csv, lines.join('\n') + '\n');
  const out = [join(root, 'g1.parquet'), join(root, 'g2.parquet')];
  for (const f of out) await writeParquet(csv, f, ['a', 'b', 'c', 'd']);
  expect(readFileSync(out[0]!).equals(readFileSync(out[1]!))).toBe(true);
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    const groups = (await conn.runAndReadAll(`SELECT row_group_id, any_value(row_group_num_rows) FROM parquet_metadata('${out[0]}') GROUP BY 1 ORDER BY 1`)).getRows().map((r) => Number(r[1]));
    expect(groups.reduce((a, b) => a + b, 0)).toBe(n);
    // A group closes at the first reader buffer past the size: a little above it, never near 122,880.
    expect(groups.length).toBeGreaterThanOrEqual(Math.floor(n / (2 * PARQUET_ROW_GROUP_ROWS)));
    expect(Math.max(...groups)).toBeLessThan(2 * PARQUET_ROW_GROUP_ROWS);
    const rows = (await conn.runAndReadAll(`SELECT a FROM read_parquet('${out[0]}', file_row_number = true) ORDER BY file_row_number`)).getRows();
    expect(rows.length).toBe(n);
    expect(rows.every((r, i) => r[0] === i)).toBe(true);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
});
