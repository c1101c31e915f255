// HeDecryptChunks: the chunks of one coordinator <-> custodian decryption — a decrypt request (an
// aggregate's whole ciphertexts, the header repeated in each chunk) and the decrypted sum's reply chunks.

/** One chunk of a decrypt request; every chunk repeats the header and the digest of the whole aggregate. */
export interface HeDecryptRequestChunk {
  readonly keyId: string;
  readonly roundId: string;
  readonly contributors: readonly string[];
  readonly threshold: number;
  readonly vectorLength: number;
  /** This chunk's whole ciphertexts, in order. */
  readonly ciphertexts: readonly Uint8Array[];
  /** Chunk `index` of `count`. */
  readonly index: number;
  readonly count: number;
  /** Ciphertexts over all chunks: ceil(m / N) under the key's N. */
  readonly ciphertextCount: number;
  /** aggregateDigest of the whole aggregate (HeDecryptDigest.ts). */
  readonly digest: Uint8Array;
  /** The coordinator's budget for reply chunks (0 = the custodian's own). */
  readonly maxReplyChunkBytes: number;
  /** The round's charge key ('' = none, in process). */
  readonly chargeKey: string;
}

/** One chunk of a decrypted sum; every chunk carries the digest of the whole sum. */
export interface HeSumChunk {
  readonly roundId: string;
  /** Whole little-endian int64 values. */
  readonly sum: Uint8Array;
  /** Chunk `index` of `count`. */
  readonly index: number;
  readonly count: number;
  /** Values in the whole sum. */
  readonly vectorLength: number;
  /** sumDigest of the whole sum (HeDecryptDigest.ts). */
  readonly digest: Uint8Array;
}
