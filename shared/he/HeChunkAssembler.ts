// HeChunkAssembler: the coordinator's reassembly of one party's chunked HE contribution — refuses
// duplicates, out-of-range indices, inconsistent or wrong totals, oversized chunks and gaps.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { HeChunk } from './HeChunk.js';
import type { HeContribution } from './HeMessages.js';

/** An Ed25519 detached signature. */
const SIGNATURE_BYTES = 64;

export class HeChunkAssembler {
  private readonly chunks = new Map<number, HeChunk>();
  private count: number | undefined;
  private signature: Uint8Array | undefined;

  /**
   * `expectedCiphertexts` = ceil(m / N) for the round; `maxChunkBytes` the budget the coordinator
   * announced (a chunk above it is refused unless it is a single ciphertext).
   */
  constructor(
    private readonly roundId: string,
    private readonly partyId: string,
    private readonly vectorLength: number,
    private readonly expectedCiphertexts: number,
    private readonly maxChunkBytes: number,
  ) {}

  private refuse(message: string, details: Record<string, unknown> = {}): never {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `HE contribution of ${this.partyId}: ${message}`, { partyId: this.partyId, roundId: this.roundId, ...details });
  }

  /** Adds one chunk (any order); throws ProtocolViolation on anything malformed. */
  add(chunk: HeChunk): void {
    if (chunk.ciphertextCount !== this.expectedCiphertexts) this.refuse(`announces ${chunk.ciphertextCount} ciphertexts, the round has ${this.expectedCiphertexts}`);
    if (!Number.isInteger(chunk.count) || chunk.count < 1 || chunk.count > this.expectedCiphertexts) this.refuse(`chunk count ${chunk.count} is not in [1, ${this.expectedCiphertexts}]`);
    if (this.count !== undefined && chunk.count !== this.count) this.refuse(`chunk count changed from ${this.count} to ${chunk.count}`);
    if (!Number.isInteger(chunk.index) || chunk.index < 0 || chunk.index >= chunk.count) this.refuse(`chunk index ${chunk.index} is outside 0..${chunk.count - 1}`);
    if (this.chunks.has(chunk.index)) this.refuse(`duplicate chunk ${chunk.index}`, { chunk: chunk.index });
    if (chunk.ciphertexts.length === 0) this.refuse(`chunk ${chunk.index} is empty`);
    const bytes = chunk.ciphertexts.reduce((s, c) => s + c.byteLength, 0);
    if (bytes > this.maxChunkBytes && chunk.ciphertexts.length > 1) this.refuse(`chunk ${chunk.index} has ${bytes} bytes, above the ${this.maxChunkBytes}-byte budget`);
    if (chunk.index === 0) {
      if (chunk.signature?.byteLength !== SIGNATURE_BYTES) this.refuse(`chunk 0 must carry the ${SIGNATURE_BYTES}-byte signature`);
      this.signature = chunk.signature;
    } else if (chunk.signature !== undefined && chunk.signature.byteLength > 0) {
      this.refuse(`chunk ${chunk.index} carries a signature (only chunk 0 does)`);
    }
    const held = [...this.chunks.values()].reduce((s, c) => s + c.ciphertexts.length, 0);
    if (held + chunk.ciphertexts.length > this.expectedCiphertexts) this.refuse(`more than ${this.expectedCiphertexts} ciphertexts`);
    this.count = chunk.count;
    this.chunks.set(chunk.index, chunk);
  }

  /** The chunk count announced so far (undefined before the first chunk). */
  get chunkCount(): number | undefined {
    return this.count;
  }

  /** The reassembled contribution; refuses gaps and a wrong number of ciphertexts. */
  contribution(): HeContribution {
    if (this.count === undefined) this.refuse('no chunk received');
    const missing: number[] = [];
    for (let i = 0; i < this.count; i++) if (!this.chunks.has(i)) missing.push(i);
    if (missing.length > 0) this.refuse(`missing chunks ${missing.join(', ')} of ${this.count}`, { missing });
    const ciphertexts: Uint8Array[] = [];
    for (let i = 0; i < this.count; i++) ciphertexts.push(...this.chunks.get(i)!.ciphertexts);
    if (ciphertexts.length !== this.expectedCiphertexts) this.refuse(`${ciphertexts.length} ciphertexts, the round has ${this.expectedCiphertexts}`);
    return { roundId: this.roundId, partyId: this.partyId, vectorLength: this.vectorLength, ciphertexts, signature: this.signature! };
  }
}
