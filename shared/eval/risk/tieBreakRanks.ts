// tieBreakRanks: a seeded random rank per row, so "the nearest row" among equally distant rows is a
// random one (as a real attacker's arbitrary choice would be) and yet reproducible from the seed.
import { seededRandomSource } from '../../dp/random/RandomSource.js';
import { uniformFloat } from '../../dp/random/uniform.js';

/** `n` independent uniform ranks in [0, 1) from the (seed, stream) pair. */
export function tieBreakRanks(n: number, seed: string, stream: string): Float64Array {
  const rng = seededRandomSource(seed, stream);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = uniformFloat(rng);
  return out;
}
