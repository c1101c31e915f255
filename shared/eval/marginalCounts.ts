// marginalCounts: exact counts of every cell of a marginal of a CodeTable, dense and row-major.
// Cell order follows Measurement: attributes ascending (domain order), first attribute slowest.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { CodeTable } from './CodeTable.js';

/** Number of cells of the marginal over the given column indices. */
export function marginalCells(sizes: readonly number[], attrs: readonly number[]): number {
  let cells = 1;
  for (const a of attrs) cells *= sizes[a];
  return cells;
}

/**
 * Counts of the marginal over `attrs` (ascending column indices). Adds into `into` when given
 * (which must be zero where fresh counts are wanted), else into a new array.
 */
export function marginalCounts(t: CodeTable, attrs: readonly number[], into?: Float64Array): Float64Array {
  const cells = marginalCells(t.sizes, attrs);
  if (cells > 2 ** 28) {
    throw new FedsynthError(ErrorCode.ModelTooLarge, `marginal over ${attrs.length} columns has ${cells} cells (limit 2^28)`);
  }
  const out = into ?? new Float64Array(cells);
  const n = t.rows;
  if (attrs.length === 1) {
    const a = t.data[attrs[0]];
    for (let r = 0; r < n; r++) out[a[r]] += 1;
  } else if (attrs.length === 2) {
    const a = t.data[attrs[0]];
    const b = t.data[attrs[1]];
    const sb = t.sizes[attrs[1]];
    for (let r = 0; r < n; r++) out[a[r] * sb + b[r]] += 1;
  } else if (attrs.length === 3) {
    const a = t.data[attrs[0]];
    const b = t.data[attrs[1]];
    const c = t.data[attrs[2]];
    const sb = t.sizes[attrs[1]];
    const sc = t.sizes[attrs[2]];
    for (let r = 0; r < n; r++) out[(a[r] * sb + b[r]) * sc + c[r]] += 1;
  } else {
    const cols = attrs.map((i) => t.data[i]);
    const sz = attrs.map((i) => t.sizes[i]);
    for (let r = 0; r < n; r++) {
      let key = 0;
      for (let j = 0; j < cols.length; j++) key = key * sz[j] + cols[j][r];
      out[key] += 1;
    }
  }
  return out;
}
