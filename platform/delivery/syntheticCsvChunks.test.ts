// Tests of synthetic.csv read in chunks: the chunks decode to the table read whole (codes, and raw
// values under a schema with quoted fields, CRLF and a BOM), the reader holds one chunk of rows and
// one piece of text, and a file without rows fails as when read whole.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { syntheticCodeTable } from '../../shared/eval/evaluateSynthetic.js';
import { countChunkRows, selectChunkRows } from '../../shared/eval/RowChunks.js';
import { READ_CHUNK_ROWS, syntheticCsvChunks, type ChunkReaderPeak } from './syntheticCsvChunks.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-csv-chunks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const schema = parseSchema({
  version: 1,
  columns: [
    { name: 'age', type: 'integer', edges: [0, 50, 100] },
    { name: 'city', type: 'categorical', categories: ['Paris', 'New York, NY', 'line\nbreak', 'say "hi"'] },
    { name: 'income', type: 'categorical', categories: ['low', 'high'] },
  ],
});
const columns = ['age', 'city', 'income'];
const sizes = [2, 4, 2];
const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

describe('syntheticCsvChunks', () => {
  it('decodes raw values (quoted commas, newlines and quotes, CRLF, BOM) exactly as the whole file, chunk by chunk', () => {
    const cities = ['Paris', 'New York, NY', 'line\nbreak', 'say "hi"'];
    const lines = ['age,city,income'];
    for (let i = 0; i < 250; i++) lines.push(`${(i * 13) % 100},${quote(cities[i % 4])},${i % 3 ? 'low' : 'high'}`);
    const text = '\uFEFF' + lines.join('\r\n') + '\r\n';
    const file = join(root, 'raw.csv');
    writeFileSync(file, text);
    const whole = syntheticCodeTable(text, 'synthetic.csv', columns, sizes, schema);
    expect(whole.rows).toBe(250);
    for (const chunkRows of [1, 7, 250, 1000]) {
      const peak: ChunkReaderPeak = { rows: 0, chars: 0 };
      const src = syntheticCsvChunks(file, { columns, sizes, schema, chunkRows, peak });
      const [read] = selectChunkRows(src, [null], 250);
      expect(read.data.map((c) => [...c])).toEqual(whole.data.map((c) => [...c]));
      expect(peak.rows).toBe(Math.min(chunkRows, 250));
    }
  });

  it('holds one chunk of rows and about one 1 MiB piece of text, never the file', () => {
    const lines = ['age,city,income'];
    for (let i = 0; i < 400_000; i++) lines.push(`${i % 2},${i % 4},${(i >> 3) % 2}`);
    const text = lines.join('\n') + '\n';
    expect(text.length).toBeGreaterThan(2 * 2 ** 20);
    const file = join(root, 'codes.csv');
    writeFileSync(file, text);
    const peak: ChunkReaderPeak = { rows: 0, chars: 0 };
    const src = syntheticCsvChunks(file, { columns, sizes, schema: null, chunkRows: 10_000, peak });
    let rows = 0;
    let sum = 0;
    for (const c of src.chunks()) {
      rows += c.rows;
      for (let r = 0; r < c.rows; r++) sum += c.data[1][r];
    }
    expect(rows).toBe(400_000);
    expect(sum).toBe(600_000);
    expect(peak.rows).toBe(10_000);
    // One piece plus one chunk's records (10,000 lines of 6 characters): well below the 2.4 MB file.
    expect(peak.chars).toBeLessThan(2 ** 20 + 10_000 * 7);
    // By default a chunk is READ_CHUNK_ROWS rows (the 65,536 of a sampling chunk held 2.0x the heap).
    const byDefault: ChunkReaderPeak = { rows: 0, chars: 0 };
    expect(countChunkRows(syntheticCsvChunks(file, { columns, sizes, schema: null, peak: byDefault }))).toBe(400_000);
    expect(byDefault.rows).toBe(READ_CHUNK_ROWS);
    expect(READ_CHUNK_ROWS).toBe(8192);
  });

  it('fails on a file without rows, and on a bad code, as the whole file does', () => {
    const empty = join(root, 'empty.csv');
    writeFileSync(empty, 'age,city,income\n');
    const src = syntheticCsvChunks(empty, { columns, sizes, schema: null });
    expect(() => [...src.chunks()]).toThrow(/no rows/);
    const bad = join(root, 'bad.csv');
    writeFileSync(bad, 'age,city,income\n0,1,1\n0,9,1\n');
    expect(() => [...syntheticCsvChunks(bad, { columns, sizes, schema: null, chunkRows: 1 }).chunks()]).toThrow(/value 9 outside/);
  });
});
