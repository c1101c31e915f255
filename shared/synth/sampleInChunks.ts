// sampleInChunks: synthetic rows drawn and handed on in bounded chunks, so sampling n rows holds
// O(chunk x columns) codes, never O(n x columns); small tables are drawn in one call, as before.
import type { RandomSource } from '../dp/random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/**
 * Rows per chunk: 65,536 rows x 40 columns of Int32 codes is 10 MB. At most this many rows are one
 * call of the sampler, so any table of up to this many rows is bit for bit what one call gives.
 */
export const SAMPLE_CHUNK_ROWS = 1 << 16;

/** Draws `n` rows with a sampler of the (n, rng) => columns form, e.g. GraphicalModel.sample. */
export type RowSampler = (n: number, rng: RandomSource) => Int32Array[];

/**
 * Yields `n` rows as consecutive chunks of `chunkRows` rows (the last one shorter), each one call
 * of `sample` on the same `rng`, in order: the concatenation equals calling `sample(chunkRows, rng)`
 * repeatedly, and for n <= chunkRows it is exactly `sample(n, rng)`. Every row stays an exact draw
 * from the model; systematic sampling (AncestralSampler) lowers count variance within each chunk.
 * Yields nothing for n = 0.
 */
export function* sampleInChunks(sample: RowSampler, n: number, rng: RandomSource, chunkRows: number = SAMPLE_CHUNK_ROWS): Generator<Int32Array[]> {
  if (!Number.isInteger(n) || n < 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'sampleInChunks: n must be a non-negative integer', { n });
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new FedsynthError(ErrorCode.InvalidArgument, 'sampleInChunks: chunkRows must be a positive integer', { chunkRows });
  for (let done = 0; done < n; done += chunkRows) yield sample(Math.min(chunkRows, n - done), rng);
}
