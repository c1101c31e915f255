// entropyBlocks: column entropies and the split of entropy-ordered column positions into s blocks of
// similar total entropy — the blocks of multi-index hashing (hammingNeighbours, risk/KeyIndex).

/** Shannon entropy (bits) of a code column with `size` values. */
export function columnEntropy(col: ArrayLike<number>, size: number): number {
  const c = new Float64Array(size);
  for (let i = 0; i < col.length; i++) c[col[i]]++;
  let h = 0;
  for (const v of c) if (v > 0) h -= (v / col.length) * Math.log2(v / col.length);
  return h;
}

/** Positions 0..h.length-1 (entropy `h[p]`, descending) dealt greedily to the block with the least entropy so far. */
export function entropyBlocks(h: readonly number[], s: number): number[][] {
  const blocks: number[][] = Array.from({ length: s }, () => []);
  const load = new Float64Array(s);
  for (let p = 0; p < h.length; p++) {
    let best = 0;
    for (let b = 1; b < s; b++) if (load[b] < load[best]) best = b;
    blocks[best].push(p);
    load[best] += h[p];
  }
  return blocks;
}
