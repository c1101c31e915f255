// syntheticCsvChunks: a delivered synthetic.csv read from disk in 1 MiB pieces and handed out as code
// tables of at most 8,192 rows, so scoring it (agent and coordinator) holds one chunk, never the file.
import { closeSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import type { CodeTable } from '../../shared/eval/CodeTable.js';
import type { RowChunks } from '../../shared/eval/RowChunks.js';
import { syntheticCodeTable } from '../../shared/eval/evaluateSynthetic.js';
import type { Schema } from '../../shared/schema/ConsortiumSchema.js';

/** Bytes read per piece. */
const PIECE = 1 << 20;

/**
 * Rows per chunk by default. Parsing a chunk makes a string per record and per cell that live until
 * the chunk is decoded, and the heap grows to hold them: one pass over 1e6 synthetic rows x 40 label
 * columns peaked at 329 MB with chunks of 65,536 rows (the sampling chunk), 187 MB with 16,384 and
 * 165 MB with 8,192, at the same CPU (6.2-6.5 s). Every consumer's figures are the same at any size.
 */
export const READ_CHUNK_ROWS = 8192;

/** What a reader held at most: rows of one chunk, and characters of text not yet handed out. */
export interface ChunkReaderPeak {
  rows: number;
  chars: number;
}

export interface SyntheticCsvChunkOptions {
  readonly columns: readonly string[];
  readonly sizes: readonly number[];
  /** The study's schema when the file holds decoded values; null for integer codes. */
  readonly schema: Schema | null;
  /** Rows per chunk (default READ_CHUNK_ROWS). */
  readonly chunkRows?: number;
  /** The file's name in error messages (default synthetic.csv). */
  readonly name?: string;
  /** Filled with what the reader held at most (tests). */
  readonly peak?: ChunkReaderPeak;
}

/**
 * The file at `path` as chunks: each chunk is the header and its records decoded exactly as the whole
 * file would be (syntheticCodeTable), records split at line ends outside quoted fields. Error line
 * numbers count from the chunk's first record.
 */
export function syntheticCsvChunks(path: string, o: SyntheticCsvChunkOptions): RowChunks {
  const chunkRows = o.chunkRows ?? READ_CHUNK_ROWS;
  const name = o.name ?? 'synthetic.csv';
  const decode = (header: string, records: readonly string[]): CodeTable => syntheticCodeTable(`${header}\n${records.join('\n')}\n`, name, o.columns, o.sizes, o.schema);
  return {
    columns: o.columns,
    sizes: o.sizes,
    *chunks() {
      const fd = openSync(path, 'r');
      try {
        const buf = Buffer.allocUnsafe(PIECE);
        const text = new StringDecoder('utf8');
        let header: string | undefined;
        let records: string[] = [];
        let pending = '';
        // Whether `pending` ends inside a quoted field (an odd number of quotes since the record began).
        let quoted = false;
        let scanned = 0;
        let yielded = false;
        const take = (record: string): CodeTable | undefined => {
          if (header === undefined) {
            header = record;
            return undefined;
          }
          records.push(record);
          if (records.length < chunkRows) return undefined;
          const chunk = decode(header, records);
          records = [];
          return chunk;
        };
        for (;;) {
          const n = readSync(fd, buf, 0, PIECE, null);
          pending += n > 0 ? text.write(buf.subarray(0, n)) : text.end();
          if (o.peak) o.peak.chars = Math.max(o.peak.chars, pending.length + records.reduce((a, r) => a + r.length, 0));
          let start = 0;
          for (let i = scanned; i < pending.length; i++) {
            const ch = pending.charCodeAt(i);
            if (ch === 34) quoted = !quoted;
            else if (ch === 10 && !quoted) {
              const chunk = take(pending.slice(start, i));
              start = i + 1;
              if (chunk) {
                if (o.peak) o.peak.rows = Math.max(o.peak.rows, chunk.rows);
                yielded = true;
                yield chunk;
              }
            }
          }
          pending = pending.slice(start);
          scanned = pending.length;
          if (n === 0) break;
        }
        if (pending !== '') take(pending);
        while (records.length > 0 && records[records.length - 1].replace(/\r$/, '') === '') records.pop();
        // The last records; a file without rows is an error as when read whole.
        if (records.length > 0 || !yielded) {
          const chunk = decode(header ?? '', records);
          if (o.peak) o.peak.rows = Math.max(o.peak.rows, chunk.rows);
          yield chunk;
        }
      } finally {
        closeSync(fd);
      }
    },
  };
}
