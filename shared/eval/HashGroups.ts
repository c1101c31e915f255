// HashGroups: items grouped by a 32-bit hash in three typed arrays (distinct hashes, group starts,
// members), the compact replacement of a Map<hash, id[]>: 12 bytes an item at most instead of ~100.
//
// Built by a stable two-pass radix sort (16 bits a pass) on the unsigned hash, so the members of a
// group keep the order of the items (ascending id), as the Map's arrays did; a lookup is a binary
// search over the distinct hashes. Used by the multi-index hashing of KeyIndex and hammingNeighbours.

/** Items 0..n-1 grouped by hash: group g holds `members[start[g] .. start[g+1])`, its hash `hashes[g]`. */
export interface HashGroups {
  /** The distinct hashes, as unsigned 32-bit values, ascending. */
  readonly hashes: Uint32Array;
  /** Per group its first position in `members`; one more entry holding `members.length`. */
  readonly start: Int32Array;
  /** Item ids, group after group, ascending within a group. */
  readonly members: Int32Array;
}

/** Groups items `0..hash.length-1` by `hash[i]` (any int32 or uint32 values). */
export function groupByHash(hash: ArrayLike<number>): HashGroups {
  const n = hash.length;
  const h = new Uint32Array(n);
  for (let i = 0; i < n; i++) h[i] = hash[i] >>> 0;
  const count = new Int32Array(65_537);
  let ids = new Int32Array(n);
  let next = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  // Least significant 16 bits, then most significant: stable, so ties keep ascending ids.
  for (const shift of [0, 16]) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((h[i] >>> shift) & 0xffff) + 1]++;
    for (let b = 0; b < 65_536; b++) count[b + 1] += count[b];
    for (let t = 0; t < n; t++) {
      const i = ids[t];
      next[count[(h[i] >>> shift) & 0xffff]++] = i;
    }
    [ids, next] = [next, ids];
  }
  let groups = 0;
  for (let t = 0; t < n; t++) if (t === 0 || h[ids[t]] !== h[ids[t - 1]]) groups++;
  const hashes = new Uint32Array(groups);
  const start = new Int32Array(groups + 1);
  let g = -1;
  for (let t = 0; t < n; t++) {
    if (t === 0 || h[ids[t]] !== h[ids[t - 1]]) {
      hashes[++g] = h[ids[t]];
      start[g] = t;
    }
  }
  start[groups] = n;
  return { hashes, start, members: ids };
}

/** The group of hash `hash` (int32 or uint32), or -1 when no item has it. */
export function findGroup(g: HashGroups, hash: number): number {
  const x = hash >>> 0;
  const hs = g.hashes;
  let lo = 0;
  let hi = hs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = hs[mid];
    if (v < x) lo = mid + 1;
    else if (v > x) hi = mid - 1;
    else return mid;
  }
  return -1;
}
