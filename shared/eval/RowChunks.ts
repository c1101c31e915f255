// RowChunks: a table read chunk by chunk (a delivered synthetic.csv streamed from disk), so whoever
// scores it holds one chunk of rows at a time; and the passes the evaluations make over it.
import { allocColumn } from '../data/EncodedTable.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { CodeTable } from './CodeTable.js';
import { marginalCells, marginalCounts } from './marginalCounts.js';
import { sampleRows } from './sampleRows.js';

/** A table in chunks: every call of `chunks()` reads it again from the start, in row order. */
export interface RowChunks {
  readonly columns: readonly string[];
  readonly sizes: readonly number[];
  chunks(): Iterable<CodeTable>;
}

/** A table already in memory, as chunks of at most `rows` rows (the whole table by default). */
export function tableChunks(t: CodeTable, rows = Infinity): RowChunks {
  return {
    columns: t.columns,
    sizes: t.sizes,
    *chunks() {
      if (rows >= t.rows) {
        yield t;
        return;
      }
      for (let start = 0; start < t.rows; start += rows) {
        const end = Math.min(t.rows, start + rows);
        yield { columns: t.columns, sizes: t.sizes, data: t.data.map((col) => col.subarray(start, end)), rows: end - start };
      }
    },
  };
}

/** `x` as chunks (a CodeTable is one chunk). */
export function asRowChunks(x: CodeTable | RowChunks): RowChunks {
  return 'data' in x ? tableChunks(x) : x;
}

/** The number of rows (one pass). */
export function countChunkRows(src: RowChunks): number {
  let n = 0;
  for (const c of src.chunks()) n += c.rows;
  return n;
}

/**
 * The rows at each list of ascending row indices (null: every row), one table per list, in one pass;
 * each table holds only its own rows. Equal to `selectRows` of the whole table (resp. the table itself).
 */
export function selectChunkRows(src: RowChunks, lists: readonly (Int32Array | null)[], total: number): CodeTable[] {
  const m = src.columns.length;
  const outs = lists.map((idx) => src.columns.map((_, j) => allocColumn(src.sizes[j], idx ? idx.length : total)));
  const next = lists.map(() => 0);
  let start = 0;
  for (const c of src.chunks()) {
    const end = start + c.rows;
    lists.forEach((idx, l) => {
      const out = outs[l];
      if (!idx) {
        if (end > total) throw new FedsynthError(ErrorCode.InvalidArgument, `rows in chunks: more than the ${total} rows counted`);
        for (let j = 0; j < m; j++) out[j].set(c.data[j], start);
        return;
      }
      let i = next[l];
      for (; i < idx.length && idx[i] < end; i++) {
        const r = idx[i] - start;
        for (let j = 0; j < m; j++) out[j][i] = c.data[j][r];
      }
      next[l] = i;
    });
    start = end;
  }
  if (start !== total) throw new FedsynthError(ErrorCode.InvalidArgument, `rows in chunks: ${start} rows read, ${total} counted`);
  return outs.map((data, l) => ({ columns: [...src.columns], sizes: [...src.sizes], data, rows: lists[l]?.length ?? total }));
}

/**
 * At most `k` rows, in row order: every row when there are at most `k` (then the same table as read
 * whole), else the seeded sample `sampleRows(total, k, seed, stream)`. Holds at most `k` rows.
 */
export function sampleChunkRows(src: RowChunks, total: number, k: number, seed: string, stream: string): CodeTable {
  return selectChunkRows(src, [total <= k ? null : sampleRows(total, k, seed, stream)], total)[0];
}

/** The marginal counts of each attribute set (marginalCounts' cell order) and the number of rows, in one pass. */
export function chunkMarginals(src: RowChunks, sets: readonly (readonly number[])[]): { rows: number; counts: Float64Array[] } {
  const counts = sets.map((s) => new Float64Array(marginalCells(src.sizes, s)));
  let rows = 0;
  for (const c of src.chunks()) {
    sets.forEach((s, i) => marginalCounts(c, s, counts[i]));
    rows += c.rows;
  }
  return { rows, counts };
}
