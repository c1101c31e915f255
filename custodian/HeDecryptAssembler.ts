// HeDecryptAssembler: the custodian's reassembly of one chunked decrypt request (HeDecryptRequestChunk,
// converted at the edge by platform/wire/heWire) into an aggregate — framing, totals, budget, then the digest.
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import type { HeAggregate } from '../shared/he/HeMessages.js';
import { aggregateDigest, digestsEqual } from '../shared/he/HeDecryptDigest.js';
import { ChunkSequence } from '../shared/wire/ChunkSequence.js';
import type { HeDecryptRequestChunk } from '../shared/he/HeDecryptChunks.js';

/** A reassembled, digest-checked decrypt request. */
export interface AssembledDecrypt {
  keyId: string;
  threshold: number;
  aggregate: HeAggregate;
  /** The coordinator's reply budget (0 = the custodian's own). */
  maxReplyChunkBytes: number;
}

const SHA256_BYTES = 32;

export class HeDecryptAssembler {
  private seq: ChunkSequence | undefined;
  private readonly ciphertexts: Uint8Array[] = [];

  /**
   * `maxChunkBytes`: the custodian's own budget (a chunk above it is refused unless it is a single
   * ciphertext). `ciphertextsFor(keyId, m)`: ceil(m / N) under the key's N; throws NotFound for an
   * unknown key, so nothing is buffered for it.
   */
  constructor(
    private readonly maxChunkBytes: number,
    private readonly ciphertextsFor: (keyId: string, vectorLength: number) => number,
  ) {}

  /**
   * Adds the next chunk; returns the request once its last chunk is in and the digest matches,
   * else undefined. Throws ProtocolViolation on bad framing or totals, VerificationFailed when the
   * reassembled aggregate does not match the digest; the caller then drops this request.
   */
  add(c: HeDecryptRequestChunk): AssembledDecrypt | undefined {
    if (!this.seq) {
      if (!c.keyId) throw violation('decrypt.key_id', 'is empty');
      if (!c.roundId) throw violation('decrypt.round_id', 'is empty');
      if (!Number.isInteger(c.vectorLength) || c.vectorLength < 1) throw violation('decrypt.vector_length', 'must be at least 1');
      if (c.digest.byteLength !== SHA256_BYTES) throw violation('decrypt.digest', `must be ${SHA256_BYTES} bytes (SHA-256)`);
      const expected = this.ciphertextsFor(c.keyId, c.vectorLength);
      if (c.ciphertextCount !== expected) throw violation('decrypt.ciphertext_count', `is ${c.ciphertextCount}; ${c.vectorLength} values need ${expected}`);
      this.seq = new ChunkSequence(`decrypt request for round ${c.roundId}`, { roundId: c.roundId });
    }
    const seq = this.seq;
    const header = JSON.stringify([c.keyId, c.roundId, c.contributors, c.threshold, c.vectorLength, c.ciphertextCount, Buffer.from(c.digest).toString('hex'), c.maxReplyChunkBytes, c.chargeKey]);
    const last = seq.accept(c.index, c.count, header, c.ciphertextCount);
    if (c.ciphertexts.length === 0) seq.refuse(`chunk ${c.index} is empty`);
    const bytes = c.ciphertexts.reduce((s, ct) => s + ct.byteLength, 0);
    if (bytes > this.maxChunkBytes && c.ciphertexts.length > 1) seq.refuse(`chunk ${c.index} has ${bytes} bytes, above the custodian's ${this.maxChunkBytes}-byte budget`);
    if (this.ciphertexts.length + c.ciphertexts.length > c.ciphertextCount) seq.refuse(`more than the announced ${c.ciphertextCount} ciphertexts`);
    for (const ct of c.ciphertexts) this.ciphertexts.push(new Uint8Array(ct));
    if (!last) return undefined;
    if (this.ciphertexts.length !== c.ciphertextCount) seq.refuse(`${this.ciphertexts.length} ciphertexts in ${c.count} chunks, ${c.ciphertextCount} announced`);
    const aggregate: HeAggregate = { roundId: c.roundId, contributors: [...c.contributors], vectorLength: c.vectorLength, ciphertexts: this.ciphertexts, ...(c.chargeKey ? { chargeKey: c.chargeKey } : {}) };
    if (!digestsEqual(aggregateDigest(c.keyId, c.threshold, aggregate), c.digest)) {
      throw new FedsynthError(ErrorCode.VerificationFailed, `decrypt request for round ${c.roundId}: the reassembled aggregate does not match its digest`, { roundId: c.roundId });
    }
    return { keyId: c.keyId, threshold: c.threshold, aggregate, maxReplyChunkBytes: c.maxReplyChunkBytes };
  }
}

function violation(field: string, message: string): FedsynthError {
  return new FedsynthError(ErrorCode.ProtocolViolation, `${field}: ${message}`, { field });
}
