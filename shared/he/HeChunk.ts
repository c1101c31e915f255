// HeChunk: one bounded piece of a party's HE contribution (whole ciphertexts, index/count framing),
// and splitContribution, which packs a contribution's ciphertexts into chunks of at most B bytes.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { HeContribution } from './HeMessages.js';
import { packByBytes } from './packByBytes.js';

/**
 * Default chunk budget: 4 MiB (grpc's default max message size) minus 64 KiB for the protobuf
 * envelope and per-ciphertext framing, so a chunk fits a stock gRPC peer's limit.
 */
export const DEFAULT_MAX_CHUNK_BYTES = 4 * 1024 * 1024 - 64 * 1024;

/** Chunk `index` of `count`; the signature (over ALL ciphertexts) rides on chunk 0 only. */
export interface HeChunk {
  index: number;
  count: number;
  /** Ciphertexts over all chunks: ceil(m / N). */
  ciphertextCount: number;
  ciphertexts: Uint8Array[];
  /** Chunk 0: the contribution's Ed25519 signature; absent on later chunks. */
  signature?: Uint8Array;
}

/**
 * Packs ciphertexts in order, greedily, into chunks whose ciphertext bytes sum to at most
 * `maxChunkBytes`; a chunk holds at least one ciphertext even if that one is larger. The signature
 * is not re-made: it already covers every ciphertext in order (contributionPayload), so the chunk
 * layout needs no signature of its own — any change to the reassembled list breaks it.
 */
export function splitContribution(c: HeContribution, maxChunkBytes: number = DEFAULT_MAX_CHUNK_BYTES): HeChunk[] {
  if (c.ciphertexts.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'a contribution has at least one ciphertext');
  const groups = packByBytes(c.ciphertexts, maxChunkBytes);
  return groups.map((ciphertexts, index) => ({
    index,
    count: groups.length,
    ciphertextCount: c.ciphertexts.length,
    ciphertexts,
    ...(index === 0 ? { signature: c.signature } : {}),
  }));
}
