// HeSumAssembler: the coordinator's reassembly of the custodian's chunked decrypt reply (HeSumChunk,
// converted at the edge by platform/wire/heWire) into the exact sum — framing, totals and the whole sum's digest.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { digestsEqual, sumDigest } from '../../shared/he/HeDecryptDigest.js';
import { ChunkSequence } from '../../shared/wire/ChunkSequence.js';
import { sumFromWire } from '../../platform/wire/heWire.js';
import type { HeSumChunk } from '../../shared/he/HeDecryptChunks.js';

export class HeSumAssembler {
  private readonly seq: ChunkSequence;
  private readonly bytes: Buffer;
  private filled = 0;

  constructor(
    private readonly roundId: string,
    private readonly vectorLength: number,
  ) {
    this.seq = new ChunkSequence(`decrypted sum of round ${roundId}`, { roundId });
    this.bytes = Buffer.alloc(vectorLength * 8);
  }

  /**
   * Adds the next reply chunk; returns the sum once the last chunk is in and the digest matches,
   * else undefined. Throws ProtocolViolation on another round or length, bad framing or a partial
   * value, VerificationFailed on a digest mismatch.
   */
  add(r: HeSumChunk): Float64Array | undefined {
    const { seq } = this;
    if (r.roundId !== this.roundId) seq.refuse(`a reply chunk for round ${r.roundId}`);
    if (r.vectorLength !== this.vectorLength) seq.refuse(`announces ${r.vectorLength} values, the aggregate has ${this.vectorLength}`);
    const last = seq.accept(r.index, r.count, Buffer.from(r.digest).toString('hex'), this.vectorLength);
    if (r.sum.byteLength === 0 || r.sum.byteLength % 8 !== 0) seq.refuse(`chunk ${r.index} has ${r.sum.byteLength} bytes, not whole int64 values`);
    if (this.filled + r.sum.byteLength > this.bytes.byteLength) seq.refuse(`more than ${this.vectorLength} values`);
    this.bytes.set(r.sum, this.filled);
    this.filled += r.sum.byteLength;
    if (!last) return undefined;
    if (this.filled !== this.bytes.byteLength) seq.refuse(`${this.filled / 8} values in ${r.count} chunks, ${this.vectorLength} expected`);
    if (!digestsEqual(sumDigest(this.roundId, this.bytes), r.digest)) {
      throw new FedsynthError(ErrorCode.VerificationFailed, `decrypted sum of round ${this.roundId} does not match its digest`, { roundId: this.roundId });
    }
    return sumFromWire(this.bytes, this.vectorLength);
  }
}
