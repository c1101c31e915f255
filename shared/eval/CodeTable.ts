// CodeTable: a table of integer-coded rows held column-wise, with the domain it was coded against.
// The input of every evaluation metric; columns are in domain order, codes in 0..size-1.
import { allocColumn, type CodeColumn } from '../data/EncodedTable.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

export type { CodeColumn };

/**
 * Column-wise integer codes: `data[c][r]` is the code of row `r` in column `columns[c]`; a column is
 * a Uint16Array when its codes fit (the party's rows as its row files hold them: half the memory).
 */
export interface CodeTable {
  readonly columns: readonly string[];
  readonly sizes: readonly number[];
  readonly data: readonly CodeColumn[];
  readonly rows: number;
}

/** Builds a CodeTable after checking shapes and that every code lies in its column's domain. */
export function makeCodeTable(columns: readonly string[], sizes: readonly number[], data: readonly CodeColumn[]): CodeTable {
  if (columns.length !== sizes.length || columns.length !== data.length || columns.length === 0) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `CodeTable: ${columns.length} columns, ${sizes.length} sizes, ${data.length} data arrays`);
  }
  const rows = data[0].length;
  for (let c = 0; c < columns.length; c++) {
    const size = sizes[c];
    if (!Number.isInteger(size) || size < 1) {
      throw new FedsynthError(ErrorCode.InvalidDomain, `CodeTable: column ${columns[c]} has invalid size ${size}`);
    }
    const col = data[c];
    if (col.length !== rows) {
      throw new FedsynthError(ErrorCode.InvalidArgument, `CodeTable: column ${columns[c]} has ${col.length} rows, expected ${rows}`);
    }
    for (let r = 0; r < rows; r++) {
      const v = col[r];
      if (v < 0 || v >= size) {
        throw new FedsynthError(ErrorCode.InvalidData, `CodeTable: row ${r} column ${columns[c]} value ${v} outside [0,${size})`, {
          row: r,
          column: columns[c],
        });
      }
    }
  }
  return { columns: [...columns], sizes: [...sizes], data, rows };
}

/** The rows of `t` at the given indices (in that order), as a new table (columns as narrow as the domain allows). */
export function selectRows(t: CodeTable, indices: ArrayLike<number>): CodeTable {
  const n = indices.length;
  const data = t.data.map((col, c) => {
    const out = allocColumn(t.sizes[c], n);
    for (let i = 0; i < n; i++) out[i] = col[indices[i]];
    return out;
  });
  return { columns: t.columns, sizes: t.sizes, data, rows: n };
}
