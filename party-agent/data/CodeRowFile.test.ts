// The agent's row files: what is written is read back bit for bit, block by block; counting from them
// equals counting the table in memory and never holds more than one block; DuckDB runs under a cap.
import { afterAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformInt } from '../../shared/dp/random/uniform.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { CodeRowFile, type CodeRowPeak } from './CodeRowFile.js';
import { RowFileMarginalSource } from './RowFileMarginalSource.js';
import { DUCKDB_MEMORY_LIMIT_MB, openCsvEngine } from './DuckDbEngine.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-rowfile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const domain = new Domain(['a', 'b', 'c', 'd'], [3, 70_000, 17, 2]);
const N = 1_000;

function table(seed: string): Int32Array[] {
  const rng = seededRandomSource(seed, 'rows');
  return domain.shape.map((s) => Int32Array.from({ length: N }, () => uniformInt(rng, s)));
}

it('reads back the codes and values written, in blocks of at most blockRows rows', () => {
  const codes = table('io');
  const values = [null, null, Float64Array.from({ length: N }, (_, i) => (i % 7 === 0 ? Number.NaN : i / 3)), null];
  const w = CodeRowFile.create(join(root, 'io.rows'), domain.shape, values.map((v) => v !== null), 128);
  for (let i = 0; i < N; i++) w.push(codes, values, i);
  const f = w.close();
  expect(f.rows).toBe(N);
  const t = f.tabularRows();
  expect(t.codes.map((c) => Array.from(c))).toEqual(codes.map((c) => Array.from(c)));
  expect(Array.from(t.values[2]!).map(String)).toEqual(Array.from(values[2]!).map(String));
  expect(t.values.map((v) => v === null)).toEqual([true, true, false, true]);
  const sizes = [...f.blocks()].map((b) => b.rows);
  expect(sizes).toEqual([...new Array<number>(7).fill(128), N - 7 * 128]);
  f.remove();
});

it('counts from the file bit for bit as from the table in memory, holding one block of rows at a time', async () => {
  const codes = table('counts');
  const w = CodeRowFile.create(join(root, 'counts.rows'), domain.shape, domain.shape.map(() => false), 100);
  for (let i = 0; i < N; i++) w.push(codes, [], i);
  const peak: CodeRowPeak = { maxBlockRows: 0 };
  const source = new RowFileMarginalSource(w.close(), domain, peak);
  const sets = [[], ['a'], ['a', 'c'], ['a', 'c', 'd'], ['c', 'd']];
  const inMemory = new InMemoryMarginalSource(new EncodedTable(domain, codes));
  expect(await source.rowCount()).toBe(N);
  expect(await source.marginals(sets)).toEqual(await inMemory.marginals(sets));
  // Planted: a reader handing the whole file as one block holds N rows here.
  expect(peak.maxBlockRows).toBe(100);
});

it('opens DuckDB with its memory cap, not DuckDB\'s default of 80% of the host', async () => {
  const path = join(root, 'silo.csv');
  writeFileSync(path, 'x\n1\n2\n');
  const schema = parseSchema({ version: 1, columns: [{ name: 'x', type: 'categorical', categories: ['1', '2'] }] });
  const e = await openCsvEngine(path, ',', schema, { ignoreExtraColumns: false });
  try {
    const [[limit]] = (await e.query(`SELECT current_setting('memory_limit')`)) as [[string]];
    // DuckDB prints the cap in MiB (1024 MB = 976.5 MiB).
    const m = /^([\d.]+) MiB$/.exec(limit);
    expect(m, limit).not.toBeNull();
    expect(Math.abs(Number(m![1]) * 2 ** 20 - DUCKDB_MEMORY_LIMIT_MB * 1e6)).toBeLessThan(0.001 * DUCKDB_MEMORY_LIMIT_MB * 1e6);
  } finally {
    await e.close();
  }
  const capped = await openCsvEngine(path, ',', schema, { ignoreExtraColumns: false, memoryLimitMB: 64, tempDirectory: join(root, 'spill') });
  try {
    expect(await capped.query(`SELECT current_setting('memory_limit'), current_setting('temp_directory')`)).toEqual([['61.0 MiB', join(root, 'spill')]]);
  } finally {
    await capped.close();
  }
});
