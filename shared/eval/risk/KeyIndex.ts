// KeyIndex: the distinct value combinations ("keys") of a table on a subset of columns, with the
// rows behind each, and an exact nearest-key search under Hamming distance (differing columns).
//
// Attacks look up the synthetic rows closest to a target on the columns the attacker knows. Coded
// tables have far fewer distinct keys than rows (Adult, 7 of 14 columns: ~1 key per 5 rows), so the
// search works on keys, not rows. An exact-key hash hit answers distance 0 at once. Otherwise
// multi-index hashing (Norouzi, Punjani & Fleet, CVPR 2012): with the columns cut into s blocks,
// every key within distance s-1 agrees with the query on a whole block, so the keys sharing a block
// with it are scored for s = 2, 3, 4 until the best distance is certified (<= s-1); only then the
// remaining keys are scanned, with early exit (columns most discriminating first). `keysWithin`
// widens the same search to every key within the minimum distance plus a slack (certified at the
// level s with best + slack <= s-1), which lets one search on all columns answer the inference
// attack for every secret column at once (inferenceAttacks).
//
// Held in typed arrays (IdHashTable for whole keys, HashGroups per block): ~12 bytes a key per block
// where Map<hash, id[]> took ~100, the same candidates in the same order (session 10). Keys are
// scored on PackedCodes (several columns a 32-bit word, early exit a word at a time) and the final
// scan takes 32 keys at a time, through ValueBitsets' bit-sliced filter when the bound is small: the
// same keys in the same order as the column-by-column scan before (session 11, ~7x less CPU).
import type { CodeTable } from '../CodeTable.js';
import { columnEntropy, entropyBlocks } from '../entropyBlocks.js';
import { findGroup, groupByHash, type HashGroups } from '../HashGroups.js';
import { IdHashTable } from '../IdHashTable.js';
import { packCodes, packedDistance, packQuery, rowsWithin, type PackedCodes } from '../PackedCodes.js';
import { BIT_SLICED_MAX_BOUND, buildValueBitsets, rowsBelow, type ValueBitsets } from '../ValueBitsets.js';

/** Keys of `table` on `cols`; per key the row with the smallest rank and, optionally, a secret histogram. */
export interface KeyIndex {
  /** Column indices of the table, in scoring order (highest entropy first). */
  readonly cols: readonly number[];
  readonly keys: number;
  /** Row-major key codes, `keys × cols.length`, in `cols` order. */
  readonly codes: Int32Array;
  /** The same codes packed for scoring, and the scratch packed query. */
  readonly packed: PackedCodes;
  readonly packedQuery: Int32Array;
  /** Per position and value the keys holding it (the final scan's filter), and its scratch counters. */
  readonly bits: ValueBitsets;
  readonly planes: Int32Array;
  /** Per key: the number of rows with that key. */
  readonly rows: Int32Array;
  /** Per key: the row with the smallest rank among rows with that key. */
  readonly bestRow: Int32Array;
  readonly bestRank: Float64Array;
  /** Per key and secret value (`keys × secretSize`): rows with that key and secret; null without a secret. */
  readonly secretCounts: Int32Array | null;
  readonly secretSize: number;
  /** Hash of a whole key -> its id (collisions resolved by comparing codes). */
  readonly lookup: IdHashTable;
  /** levels[i]: the i+2 blocks of level i+2, each a list of positions and a map block key -> key ids. */
  readonly levels: readonly (readonly Block[])[];
  /** Scratch marks of keys already scored for the current query. */
  readonly stamp: Int32Array;
  readonly query: { id: number };
  /** Scratch distances of the keys `nearestKeys` holds while it searches. */
  readonly scratch: number[];
}

interface Block {
  readonly pos: readonly number[];
  /** Hash of the key's codes at `pos` -> key ids, ascending (a hash collision only adds candidates, which are scored exactly). */
  readonly groups: HashGroups;
}

/** FNV-1a style 32-bit hash of codes[base + p] for p in `pos`. */
function blockHash(codes: ArrayLike<number>, base: number, pos: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const p of pos) h = Math.imul(h ^ (codes[base + p] + 0x9e37), 0x01000193);
  return h;
}

/** The same hash over codes[base .. base + m). */
function keyHash(codes: ArrayLike<number>, base: number, m: number): number {
  let h = 0x811c9dc5;
  for (let p = 0; p < m; p++) h = Math.imul(h ^ (codes[base + p] + 0x9e37), 0x01000193);
  return h;
}

function sameKey(codes: ArrayLike<number>, base: number, q: ArrayLike<number>, m: number): boolean {
  for (let p = 0; p < m; p++) if (codes[base + p] !== q[p]) return false;
  return true;
}

function buildLevels(codes: Int32Array, keys: number, m: number, h: readonly number[], maxLevel: number): Block[][] {
  const levels: Block[][] = [];
  const hashes = new Int32Array(keys);
  for (let s = 2; s <= Math.min(maxLevel, m); s++) {
    levels.push(
      entropyBlocks(h, s).map((pos) => {
        for (let k = 0; k < keys; k++) hashes[k] = blockHash(codes, k * m, pos);
        return { pos, groups: groupByHash(hashes) };
      }),
    );
  }
  return levels;
}

/**
 * Indexes `t` on `cols`. `rank[r]` orders rows for tie-breaking (a seeded random permutation makes
 * ties random but reproducible); `secret` is a column whose value histogram is kept per key.
 */
export function buildKeyIndex(t: CodeTable, cols: readonly number[], rank: ArrayLike<number>, secret: number | null = null, maxLevel = 4): KeyIndex {
  const hs = cols.map((c, i) => ({ c, h: columnEntropy(t.data[c], t.sizes[c]) })).sort((a, b) => b.h - a.h || a.c - b.c);
  const order = hs.map((x) => x.c);
  const m = order.length;
  const n = t.rows;
  const lookup = new IdHashTable(n);
  // Per key (ids in order of first row): its codes, best row and rank, row count; cut to `keys` below.
  let codes = new Int32Array(n * m);
  let bestRow = new Int32Array(n);
  let bestRank = new Float64Array(n);
  let rowsOfKey = new Int32Array(n);
  const keyOfRow = new Int32Array(n);
  const row = new Int32Array(m);
  const same = (k: number): boolean => sameKey(codes, k * m, row, m);
  let keys = 0;
  for (let r = 0; r < n; r++) {
    for (let p = 0; p < m; p++) row[p] = t.data[order[p]][r];
    const hash = keyHash(row, 0, m);
    let id = lookup.find(hash, same);
    if (id === -1) {
      id = keys++;
      lookup.add(hash, id);
      codes.set(row, id * m);
      bestRow[id] = r;
      bestRank[id] = rank[r];
    } else if (rank[r] < bestRank[id]) {
      bestRow[id] = r;
      bestRank[id] = rank[r];
    }
    keyOfRow[r] = id;
    rowsOfKey[id]++;
  }
  if (keys < n) {
    codes = codes.slice(0, keys * m);
    bestRow = bestRow.slice(0, keys);
    bestRank = bestRank.slice(0, keys);
    rowsOfKey = rowsOfKey.slice(0, keys);
  }
  const secretSize = secret === null ? 0 : t.sizes[secret];
  let secretCounts: Int32Array | null = null;
  if (secret !== null) {
    secretCounts = new Int32Array(keys * secretSize);
    const s = t.data[secret];
    for (let r = 0; r < t.rows; r++) secretCounts[keyOfRow[r] * secretSize + s[r]]++;
  }
  const levels = buildLevels(codes, keys, m, hs.map((x) => x.h), maxLevel);
  const sizes = order.map((c) => t.sizes[c]);
  const packed = packCodes(sizes, codes, keys);
  return {
    cols: order,
    keys,
    codes,
    packed,
    packedQuery: new Int32Array(packed.words),
    bits: buildValueBitsets(sizes, codes, keys),
    planes: new Int32Array(m + 2),
    rows: rowsOfKey,
    bestRow,
    bestRank,
    secretCounts,
    secretSize,
    lookup,
    levels,
    stamp: new Int32Array(keys).fill(-1),
    query: { id: 0 },
    scratch: [],
  };
}

/** The query's codes in the index's column order (row `r` of `q`, same domain as the indexed table). */
export function queryCodes(index: KeyIndex, q: CodeTable, r: number, out: Int32Array): Int32Array {
  for (let p = 0; p < index.cols.length; p++) out[p] = q.data[index.cols[p]][r];
  return out;
}

/** Fills `out` with every key at the minimum Hamming distance from `query`; returns that distance. */
export function nearestKeys(index: KeyIndex, query: Int32Array, out: number[]): number {
  return keysWithin(index, query, 0, out, index.scratch);
}

/**
 * Fills `out` with every key within `slack` of the minimum Hamming distance from `query` and
 * `dist` with their distances (same order); returns the minimum distance.
 */
export function keysWithin(index: KeyIndex, query: Int32Array, slack: number, out: number[], dist: number[]): number {
  out.length = 0;
  dist.length = 0;
  const m = index.cols.length;
  const codes = index.codes;
  if (slack === 0) {
    const k = index.lookup.find(keyHash(query, 0, m), (id) => sameKey(codes, id * m, query, m));
    if (k !== -1) {
      out.push(k);
      dist.push(0);
      return 0;
    }
  }
  const stamp = index.stamp;
  const qid = ++index.query.id;
  const packed = index.packed;
  const pq = packQuery(packed, query, index.packedQuery);
  let best = m + 1;
  const score = (k: number): void => {
    const d = packedDistance(packed, k, pq, best + slack);
    if (d > best + slack) return;
    if (d < best) {
      best = d;
      // Drop the keys now beyond best + slack.
      let w = 0;
      for (let i = 0; i < out.length; i++) {
        if (dist[i] <= best + slack) {
          out[w] = out[i];
          dist[w++] = dist[i];
        }
      }
      out.length = w;
      dist.length = w;
    }
    out.push(k);
    dist.push(d);
  };
  let level = 1;
  for (const blocks of index.levels) {
    level++;
    for (const b of blocks) {
      const g = findGroup(b.groups, blockHash(query, 0, b.pos));
      if (g === -1) continue;
      const { start, members } = b.groups;
      for (let i = start[g]; i < start[g + 1]; i++) {
        const k = members[i];
        if (stamp[k] === qid) continue;
        stamp[k] = qid;
        score(k);
      }
    }
    // Every key within distance level-1 has been scored: best + slack <= level-1 is final.
    if (best + slack <= level - 1) return best;
  }
  // The keys not scored yet, in id order, 32 at a time: those within best + slack (found by the
  // bit-sliced filter for small bounds, else on the packed codes; a superset of the ones score keeps).
  const bits = index.bits;
  for (let w = 0; w < bits.words; w++) {
    const bound = best + slack + 1;
    let alive = bound <= BIT_SLICED_MAX_BOUND ? rowsBelow(bits, query, w, bound, index.planes) : rowsWithin(packed, w * 32, Math.min(32, index.keys - w * 32), pq, bound - 1);
    while (alive !== 0) {
      const k = w * 32 + (31 - Math.clz32(alive & -alive));
      alive &= alive - 1;
      if (stamp[k] !== qid) score(k);
    }
  }
  return best;
}
