// hammingNeighbours: exact nearest and second-nearest Hamming distances (number of differing columns)
// from query rows to reference rows, by multi-index hashing (Norouzi, Punjani & Fleet, CVPR 2012).
//
// Pigeonhole: if a row differs from the query in at most r columns, then for any partition of the
// columns into r+1 blocks it agrees exactly on at least one block. Level s (s blocks) therefore finds
// every row within distance s-1; rows found are scored exactly with early exit. After level s the
// nearest distance is certified once it is <= s. Queries not certified by the last level are finished
// by a scan in row order: for small bounds 32 rows at a time through the bit-sliced filter of
// ValueBitsets, the survivors (or, for larger bounds, every row) scored exactly on PackedCodes with
// early exit (session 11: the same rows in the same order as the column-by-column compare before).
import type { CodeTable } from './CodeTable.js';
import { columnEntropy, entropyBlocks } from './entropyBlocks.js';
import { findGroup, groupByHash, type HashGroups } from './HashGroups.js';
import { packCodes, packedDistance, packQuery, rowsWithin, type PackedCodes } from './PackedCodes.js';
import { BIT_SLICED_MAX_BOUND, buildValueBitsets, rowsBelow, type ValueBitsets } from './ValueBitsets.js';

/** A reference table prepared for repeated nearest-neighbour queries. */
export interface HammingIndex {
  readonly rows: number;
  readonly m: number;
  /** Column order used for scoring (most discriminating first). */
  readonly order: readonly number[];
  /** The rows' codes in `order`, packed (half a byte a cell up to 16 values). */
  readonly packed: PackedCodes;
  /** levels[s-1] = the s blocks of level s, each with its hash buckets. */
  readonly levels: readonly (readonly Bucketed[])[];
  /** Per position and value, the rows holding it (the scan's filter). */
  readonly bits: ValueBitsets;
}

interface Bucketed {
  readonly cols: readonly number[];
  /** Rows by the hash of their codes at `cols` (typed arrays: ~12 bytes a row, session 10). */
  readonly groups: HashGroups;
}

/** Nearest (`d1`) and, when asked, second-nearest (`d2`) distances of each query row. */
export interface NeighbourDistances {
  readonly d1: Int32Array;
  readonly d2: Int32Array | null;
}

function hashBlock(codes: ArrayLike<number>, base: number, cols: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const c of cols) h = Math.imul(h ^ (codes[base + c] + 0x9e37), 0x01000193);
  return h;
}

function bucket(codes: Uint8Array | Uint16Array | Int32Array, n: number, m: number, cols: readonly number[]): Bucketed {
  const hashes = new Int32Array(n);
  for (let r = 0; r < n; r++) hashes[r] = hashBlock(codes, r * m, cols);
  return { cols, groups: groupByHash(hashes) };
}

/**
 * Indexes `ref` (or its rows `subset`, in that order, without copying the table) with levels
 * 1..maxLevel (blocks balanced by column entropy).
 */
export function buildHammingIndex(ref: CodeTable, maxLevel = 3, subset?: ArrayLike<number>): HammingIndex {
  const m = ref.columns.length;
  const at = (r: number): number => (subset ? subset[r] : r);
  const n = subset ? subset.length : ref.rows;
  const colOf = (c: number): ArrayLike<number> => (subset ? Int32Array.from({ length: n }, (_, r) => ref.data[c][at(r)]) : ref.data[c]);
  const h = ref.data.map((_, c) => columnEntropy(colOf(c), ref.sizes[c]));
  const order = h.map((_, c) => c).sort((a, b) => h[b] - h[a] || a - b);
  const widest = Math.max(...ref.sizes);
  const codes = widest <= 256 ? new Uint8Array(n * m) : widest <= 65_536 ? new Uint16Array(n * m) : new Int32Array(n * m);
  for (let p = 0; p < m; p++) {
    const col = ref.data[order[p]];
    for (let r = 0; r < n; r++) codes[r * m + p] = col[at(r)];
  }
  const levels: Bucketed[][] = [];
  for (let s = 1; s <= Math.min(maxLevel, m); s++) {
    levels.push(entropyBlocks(order.map((c) => h[c]), s).map((cols) => bucket(codes, n, m, cols)));
  }
  const sizes = order.map((c) => ref.sizes[c]);
  return { rows: n, m, order, packed: packCodes(sizes, codes, n), levels, bits: buildValueBitsets(sizes, codes, n) };
}

/** Distances from every row of `queries` (same domain as the index) to the indexed rows. */
export function hammingNeighbours(index: HammingIndex, queries: CodeTable, second: boolean): NeighbourDistances {
  const { m, packed, rows: n } = index;
  const nq = queries.rows;
  const q = new Int32Array(m);
  const pq = new Int32Array(packed.words);
  const stamp = new Int32Array(n).fill(-1);
  const d1 = new Int32Array(nq);
  const d2 = second ? new Int32Array(nq) : null;
  const cols = index.order.map((c) => queries.data[c]);
  const planes = new Int32Array(m + 2);
  for (let qi = 0; qi < nq; qi++) {
    for (let p = 0; p < m; p++) q[p] = cols[p][qi];
    packQuery(packed, q, pq);
    let b1 = m + 1;
    let b2 = m + 1;
    const consider = (r: number): void => {
      const d = packedDistance(packed, r, pq, (second ? b2 : b1) - 1);
      if (d >= (second ? b2 : b1)) return;
      if (d < b1) {
        b2 = b1;
        b1 = d;
      } else if (d < b2) b2 = d;
    };
    let certified = false;
    let level = 0;
    for (const blocks of index.levels) {
      level++;
      for (const blk of blocks) {
        const g = findGroup(blk.groups, hashBlock(q, 0, blk.cols));
        if (g === -1) continue;
        const { start, members } = blk.groups;
        for (let t = start[g]; t < start[g + 1]; t++) {
          const r = members[t];
          if (stamp[r] === qi) continue;
          stamp[r] = qi;
          consider(r);
        }
      }
      // Every row within distance level-1 has been scored.
      if ((second ? b2 : b1) <= level) {
        certified = true;
        break;
      }
    }
    if (!certified) {
      // Rows not yet scored all differ in >= `level` columns; scan the rest 32 at a time.
      for (let w = 0; w < index.bits.words; w++) {
        const bound = second ? b2 : b1;
        if (bound <= level) break;
        let alive = bound <= BIT_SLICED_MAX_BOUND ? rowsBelow(index.bits, q, w, bound, planes) : rowsWithin(packed, w * 32, Math.min(32, n - w * 32), pq, bound - 1);
        while (alive !== 0) {
          const bit = 31 - Math.clz32(alive & -alive);
          alive &= alive - 1;
          const r = w * 32 + bit;
          if (stamp[r] !== qi) consider(r);
        }
      }
    }
    d1[qi] = b1;
    if (d2) d2[qi] = b2;
  }
  return { d1, d2 };
}
