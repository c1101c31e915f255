// fusedProjection: one pass over a clique table for several marginals at once (scatter sums) and for
// several broadcast tables summed into the clique (gather sums), bit-identical to one pass per map.

/**
 * `outs[q][maps[q][k]] += src[k]` for every q (each out zeroed first), as `sumInto` once per q,
 * but reading `src` once per pair of maps. Each output cell receives its terms in the same order
 * (k ascending) as `sumInto`, so the sums are bit-identical; interleaving two outputs lets their
 * dependent additions overlap (a marginal over the leading axes adds runs of consecutive cells
 * into one cell, a chain that one map alone cannot hide).
 */
export function sumIntoEach(src: Float64Array, maps: readonly Int32Array[], outs: readonly Float64Array[]): void {
  for (const o of outs) o.fill(0);
  sumIntoEachRange(src, maps, outs, 0, src.length);
}

/**
 * `sumIntoEach` over the cells [lo, hi) of `src` only, adding into `outs` without zeroing them:
 * two halves in turn give the same sums as one pass (each output cell still gets its terms in
 * ascending k), and a half whose output cells no other half touches can run on another thread.
 */
export function sumIntoEachRange(src: Float64Array, maps: readonly Int32Array[], outs: readonly Float64Array[], lo: number, hi: number): void {
  let q = 0;
  for (; q + 3 <= maps.length; q += 3) {
    const m0 = maps[q];
    const m1 = maps[q + 1];
    const m2 = maps[q + 2];
    const o0 = outs[q];
    const o1 = outs[q + 1];
    const o2 = outs[q + 2];
    for (let k = lo; k < hi; k++) {
      const v = src[k];
      o0[m0[k]] += v;
      o1[m1[k]] += v;
      o2[m2[k]] += v;
    }
  }
  if (maps.length - q === 2) {
    const m0 = maps[q];
    const m1 = maps[q + 1];
    const o0 = outs[q];
    const o1 = outs[q + 1];
    for (let k = lo; k < hi; k++) {
      const v = src[k];
      o0[m0[k]] += v;
      o1[m1[k]] += v;
    }
  } else if (maps.length - q === 1) {
    const m0 = maps[q];
    const o0 = outs[q];
    for (let k = lo; k < hi; k++) o0[m0[k]] += src[k];
  }
}

/**
 * `out[k] = 0 + srcs[0][maps[0][k]] + srcs[1][maps[1][k]] + ...`, added left to right, as zeroing
 * `out` and adding each source in turn over the whole table (same order per cell: bit-identical),
 * but writing `out` once per three sources.
 */
export function gatherSum(srcs: readonly Float64Array[], maps: readonly Int32Array[], out: Float64Array): void {
  gatherSumRange(srcs, maps, out, 0, out.length);
}

/** `gatherSum` on the cells [lo, hi) of `out` only (each cell is its own sum: halves may run on two threads). */
export function gatherSumRange(srcs: readonly Float64Array[], maps: readonly Int32Array[], out: Float64Array, lo: number, hi: number): void {
  out.fill(0, lo, hi);
  for (let q = 0; q < srcs.length; q += 3) {
    const left = srcs.length - q;
    const s0 = srcs[q];
    const m0 = maps[q];
    if (left >= 3) {
      const s1 = srcs[q + 1];
      const m1 = maps[q + 1];
      const s2 = srcs[q + 2];
      const m2 = maps[q + 2];
      for (let k = lo; k < hi; k++) out[k] = out[k] + s0[m0[k]] + s1[m1[k]] + s2[m2[k]];
    } else if (left === 2) {
      const s1 = srcs[q + 1];
      const m1 = maps[q + 1];
      for (let k = lo; k < hi; k++) out[k] = out[k] + s0[m0[k]] + s1[m1[k]];
    } else {
      for (let k = lo; k < hi; k++) out[k] += s0[m0[k]];
    }
  }
}
