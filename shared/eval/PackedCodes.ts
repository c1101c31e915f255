// PackedCodes: rows of codes packed several to a 32-bit word (a 4-, 8-, 16- or 32-bit field a column,
// the narrowest that holds its domain) and their Hamming distance to a packed query with early exit.
//
// The distance is counted a word at a time (SWAR, "SIMD within a register"): x = row ^ query is
// zero in a field exactly when the codes agree; with H the fields' top bits and L the others,
// ((x & L) + L) | x has a field's top bit set iff the field is nonzero (L's low bits cannot carry
// out of the field), and a multiply sums the top bits (Warren, Hacker's Delight, 2nd ed., 6-1 and
// 5-1). A 40-column table of up to 16 values a column is 5 words a row instead of 40 compares.
// Partial sums only grow, so stopping once one exceeds the caller's limit changes no result.

/** Rows × `words` packed codes; words [0, nibbleEnd) hold 4-bit fields, then 8-, 16- and 32-bit ones. */
export interface PackedCodes {
  readonly rows: number;
  /** Words a row. */
  readonly words: number;
  readonly nibbleEnd: number;
  readonly byteEnd: number;
  readonly halfEnd: number;
  /** Per column position: its word (`slot >>> 5`) and bit offset (`slot & 31`). */
  readonly slot: Int32Array;
  readonly data: Int32Array;
}

type Layout = Omit<PackedCodes, 'rows' | 'data'>;

/** Field bits of a column of `size` values. */
function fieldBits(size: number): number {
  return size <= 16 ? 4 : size <= 256 ? 8 : size <= 65_536 ? 16 : 32;
}

/** Fields by width class (4 first), positions in their given order within a class. */
function layout(sizes: readonly number[]): Layout {
  const slot = new Int32Array(sizes.length);
  let word = 0;
  const ends: number[] = [];
  for (const bits of [4, 8, 16, 32]) {
    let used = 32;
    for (let p = 0; p < sizes.length; p++) {
      if (fieldBits(sizes[p]) !== bits) continue;
      if (used === 32) {
        used = 0;
        word++;
      }
      slot[p] = (word - 1) * 32 + used;
      used += bits;
    }
    ends.push(word);
  }
  return { words: word, nibbleEnd: ends[0], byteEnd: ends[1], halfEnd: ends[2], slot };
}

/** Packs `rows` rows of row-major `codes` (`sizes.length` columns a row, each code in [0, size)). */
export function packCodes(sizes: readonly number[], codes: ArrayLike<number>, rows: number): PackedCodes {
  const l = layout(sizes);
  const m = sizes.length;
  const data = new Int32Array(rows * l.words);
  for (let r = 0; r < rows; r++) {
    const base = r * l.words;
    for (let p = 0; p < m; p++) data[base + (l.slot[p] >>> 5)] |= codes[r * m + p] << (l.slot[p] & 31);
  }
  return { ...l, rows, data };
}

/** Packs one query row (codes in the same column order) into `out` (`words` long). */
export function packQuery(packed: PackedCodes, q: ArrayLike<number>, out: Int32Array): Int32Array {
  out.fill(0, 0, packed.words);
  for (let p = 0; p < packed.slot.length; p++) out[packed.slot[p] >>> 5] |= q[p] << (packed.slot[p] & 31);
  return out;
}

/**
 * Hamming distance of packed row `row` to the packed query `q`: exact when it is <= `limit`,
 * otherwise some value > `limit` (the count stops at the first word that passes it).
 */
export function packedDistance(packed: PackedCodes, row: number, q: Int32Array, limit: number): number {
  const data = packed.data;
  const words = packed.words;
  const base = row * words;
  let d = 0;
  let w = 0;
  for (; w < packed.nibbleEnd; w++) {
    const x = data[base + w] ^ q[w];
    const y = (((x & 0x77777777) + 0x77777777) | x) & 0x88888888;
    d += Math.imul(y >>> 3, 0x11111111) >>> 28;
    if (d > limit) return d;
  }
  for (; w < packed.byteEnd; w++) {
    const x = data[base + w] ^ q[w];
    const y = (((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080;
    d += Math.imul(y >>> 7, 0x01010101) >>> 24;
    if (d > limit) return d;
  }
  for (; w < packed.halfEnd; w++) {
    const x = data[base + w] ^ q[w];
    const y = (((x & 0x7fff7fff) + 0x7fff7fff) | x) & 0x80008000;
    d += Math.imul(y >>> 15, 0x00010001) >>> 16;
    if (d > limit) return d;
  }
  for (; w < words; w++) {
    if (data[base + w] !== q[w] && ++d > limit) return d;
  }
  return d;
}

/** Bit i set when row `first + i` (i < `count` <= 32) is within `limit` of the packed query `q`. */
export function rowsWithin(packed: PackedCodes, first: number, count: number, q: Int32Array, limit: number): number {
  let mask = 0;
  for (let i = 0; i < count; i++) if (packedDistance(packed, first + i, q, limit) <= limit) mask |= 1 << i;
  return mask;
}
