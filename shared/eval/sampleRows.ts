// sampleRows: a deterministic, seeded sample of row indices without replacement (partial Fisher-Yates),
// used to cap the number of query rows of nearest-neighbour metrics and of the discriminator.
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';

/**
 * `min(k, n)` distinct indices in [0, n), ascending; all of 0..n-1 when k >= n. The shuffle keeps
 * only the positions it moved (a map), so a sample holds O(k) memory whatever n.
 */
export function sampleRows(n: number, k: number, seed: string, stream: string): Int32Array {
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = seededRandomSource(seed, stream);
  const moved = new Map<number, number>();
  const out = new Int32Array(k);
  for (let i = 0; i < k; i++) {
    const j = i + uniformInt(rng, n - i);
    const atJ = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
    out[i] = atJ;
  }
  return out.sort();
}
