// ValueBitsets: per column and value a bitset over the rows of a table, and a bit-sliced filter that
// drops, 32 rows at a time, the rows that differ from a query in at least `bound` columns.
//
// Only columns of up to 256 values get bitsets (a bitset a value: size/8 bytes a row); the filter
// then counts mismatches on those columns only, a lower bound, so it never drops a row within reach.
//
// The filter keeps thermometer-coded mismatch counters (plane k: rows with more than k mismatches so
// far) and stops as soon as every row of the word reaches the bound; its cost grows with the bound,
// so callers use it for small bounds and score the survivors exactly (hammingNeighbours, KeyIndex).

/**
 * The largest bound the callers filter with: above it the thermometer (bound planes a column) costs
 * more than scoring every row on PackedCodes (gen:40, 1e5 synthetic keys: linkability's bounds of
 * ~5-7 run 1.5x faster filtered, inference's ~16 1.2x slower). Either way the same rows are kept.
 */
export const BIT_SLICED_MAX_BOUND = 12;

/** bits[p][v * words + w]: bit i set when row 32w+i has code v at column position p. */
export interface ValueBitsets {
  readonly rows: number;
  readonly words: number;
  /** The column positions that have bitsets (`bits[i]` is position `pos[i]`'s). */
  readonly pos: Int32Array;
  readonly bits: readonly Int32Array[];
}

/** Largest domain given bitsets. */
const MAX_SIZE = 256;

/** Bitsets of `rows` rows of row-major `codes` (`sizes.length` columns a row, code < size). */
export function buildValueBitsets(sizes: readonly number[], codes: ArrayLike<number>, rows: number): ValueBitsets {
  const m = sizes.length;
  const words = Math.ceil(rows / 32);
  const pos = Int32Array.from(sizes.flatMap((size, p) => (size <= MAX_SIZE ? [p] : [])));
  const bits = Array.from(pos, (p) => {
    const b = new Int32Array(sizes[p] * words);
    for (let r = 0; r < rows; r++) b[codes[r * m + p] * words + (r >>> 5)] |= 1 << (r & 31);
    return b;
  });
  return { rows, words, pos, bits };
}

/** The rows of word `w` as a bit mask (the last word's missing rows left out). */
function wordRows(vb: ValueBitsets, w: number): number {
  return w === vb.words - 1 && vb.rows % 32 !== 0 ? (1 << vb.rows % 32) - 1 : -1;
}

/**
 * The rows of word `w` that differ from `q` (codes by column position) in fewer than `bound` (>= 1)
 * columns, as a bit mask; `planes` is scratch of length >= `bound`.
 */
export function rowsBelow(vb: ValueBitsets, q: ArrayLike<number>, w: number, bound: number, planes: Int32Array): number {
  const valid = wordRows(vb, w);
  const words = vb.words;
  for (let k = 0; k < bound; k++) planes[k] = 0;
  let dead = 0;
  for (let i = 0; i < vb.bits.length; i++) {
    const x = ~vb.bits[i][q[vb.pos[i]] * words + w];
    for (let k = bound - 1; k > 0; k--) planes[k] |= planes[k - 1] & x;
    planes[0] |= x;
    dead = planes[bound - 1];
    if ((dead & valid) === valid) break;
  }
  return ~dead & valid;
}
