// QueryChunks: a compute stage's encoded LocalQuery cut into messages below the chunk budget
// (QueryChunk stages, then the compute stage with the last chunk) and put back together at the party.
import { createHash } from 'node:crypto';
import { ChunkSequence } from './ChunkSequence.js';

/** Largest query chunk in one message: 4 MiB (gRPC's customary limit) minus 64 KiB of framing. */
export const QUERY_CHUNK_BYTES = 4 * 1024 * 1024 - 64 * 1024;

/** Largest encoded query a party assembles (1 GiB): beyond it the round is refused. */
export const MAX_QUERY_BYTES = 1024 * 1024 * 1024;

/** The query cut into chunks of at most `chunkBytes` (at least one chunk, possibly empty). */
export function splitQuery(query: Uint8Array, chunkBytes: number = QUERY_CHUNK_BYTES): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < query.length; off += chunkBytes) out.push(query.subarray(off, Math.min(query.length, off + chunkBytes)));
  return out.length > 0 ? out : [query];
}

/** SHA-256 of the whole encoded query (carried by the compute stage, checked by the party). */
export function queryDigest(query: Uint8Array): Buffer {
  return createHash('sha256').update(query).digest();
}

/**
 * One round's query chunks at the party: chunks 0..count-2 arrive as QueryChunk stages in order,
 * the compute stage brings the last one and the digest. Refuses (ProtocolViolation) gaps,
 * duplicates, changed counts, a total above MAX_QUERY_BYTES and a digest mismatch.
 */
export class QueryAssembler {
  private readonly seq: ChunkSequence;
  private readonly parts: Uint8Array[] = [];
  private bytes = 0;

  constructor(roundId: string) {
    this.seq = new ChunkSequence('compute.query', { roundId, field: 'compute.query' });
  }

  /** A QueryChunk stage (never the last chunk: that one comes with the compute stage). */
  accept(index: number, count: number, data: Uint8Array): void {
    if (index >= count - 1) this.seq.refuse(`chunk ${index} of ${count}: the last chunk travels in the compute stage`);
    this.add(index, count, data);
  }

  /** The compute stage's last chunk: returns the whole query after checking its digest. */
  finish(count: number, last: Uint8Array, sha256: Uint8Array): Uint8Array {
    this.add(count - 1, count, last);
    const whole = Buffer.concat(this.parts, this.bytes);
    if (!queryDigest(whole).equals(Buffer.from(sha256))) this.seq.refuse('the assembled query does not match query_sha256');
    return whole;
  }

  private add(index: number, count: number, data: Uint8Array): void {
    this.seq.accept(index, count, '', Math.ceil(MAX_QUERY_BYTES / QUERY_CHUNK_BYTES));
    this.bytes += data.length;
    if (this.bytes > MAX_QUERY_BYTES) this.seq.refuse(`query exceeds ${MAX_QUERY_BYTES} bytes`);
    this.parts.push(Uint8Array.from(data));
  }
}
