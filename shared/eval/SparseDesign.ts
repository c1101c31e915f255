// SparseDesign: a binary design matrix with the same number of active features in every row, built
// by one-hot encoding columns of a CodeTable, optionally with hashed pairwise interactions.
import type { CodeTable } from './CodeTable.js';

/** `index[r*width + t]` is the t-th active (value 1) feature of row r, in [0, nFeatures). */
export interface SparseDesign {
  readonly rows: number;
  readonly width: number;
  readonly nFeatures: number;
  readonly index: Int32Array;
}

/** Options: which columns to encode, and whether to add pair interactions hashed into 2^bits slots. */
export interface OneHotOptions {
  readonly columns: readonly number[];
  readonly pairHashBits?: number;
}

/** One-hot design of the chosen columns (+ hashed one-hot of every pair of them, when asked). */
export function oneHotDesign(t: CodeTable, opts: OneHotOptions): SparseDesign {
  const cols = opts.columns;
  const offsets: number[] = [];
  let nFeatures = 0;
  for (const c of cols) {
    offsets.push(nFeatures);
    nFeatures += t.sizes[c];
  }
  const pairs = opts.pairHashBits !== undefined;
  const hashSize = pairs ? 1 << (opts.pairHashBits as number) : 0;
  const pairBase = nFeatures;
  if (pairs) nFeatures += hashSize;
  const width = cols.length + (pairs ? (cols.length * (cols.length - 1)) / 2 : 0);
  const index = new Int32Array(t.rows * width);
  for (let r = 0; r < t.rows; r++) {
    let p = r * width;
    for (let a = 0; a < cols.length; a++) index[p++] = offsets[a] + t.data[cols[a]][r];
    if (!pairs) continue;
    for (let a = 0; a < cols.length; a++) {
      const va = t.data[cols[a]][r];
      for (let b = a + 1; b < cols.length; b++) {
        // Multiplicative hash of (pair id, value a, value b); collisions only merge features.
        let h = Math.imul(a * 64 + b + 1, 0x9e3779b1);
        h = Math.imul(h ^ (va + 1), 0x85ebca6b);
        h = Math.imul(h ^ (t.data[cols[b]][r] + 1), 0xc2b2ae35);
        h ^= h >>> 15;
        index[p++] = pairBase + ((h >>> 0) & (hashSize - 1));
      }
    }
  }
  return { rows: t.rows, width, nFeatures, index };
}

/** The rows of a design at the given indices, as a new design. */
export function selectDesignRows(d: SparseDesign, rows: ArrayLike<number>): SparseDesign {
  const index = new Int32Array(rows.length * d.width);
  for (let i = 0; i < rows.length; i++) index.set(d.index.subarray(rows[i] * d.width, (rows[i] + 1) * d.width), i * d.width);
  return { rows: rows.length, width: d.width, nFeatures: d.nFeatures, index };
}
