// sampleRows: a deterministic, seeded sample of row indices without replacement (partial Fisher-Yates),
// used to cap the number of query rows of nearest-neighbour metrics and of the discriminator.
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';

/** `min(k, n)` distinct indices in [0, n), ascending; all of 0..n-1 when k >= n. */
export function sampleRows(n: number, k: number, seed: string, stream: string): Int32Array {
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  if (k >= n) return idx;
  const rng = seededRandomSource(seed, stream);
  for (let i = 0; i < k; i++) {
    const j = i + uniformInt(rng, n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, k).sort();
}
