// HeDecryptDigest: the SHA-256 digests that bind the chunks of a custodian exchange together — of
// a whole aggregate sent for decryption (aggregateDigest) and of a whole decrypted sum (sumDigest).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { HeAggregate } from './HeMessages.js';

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** Length-prefixed (u32 big-endian) so that no two field lists give the same byte string. */
function field(h: ReturnType<typeof createHash>, bytes: Uint8Array): void {
  h.update(u32(bytes.byteLength));
  h.update(bytes);
}

/**
 * SHA-256 over "fedsynth/v1/he-decrypt", key id, round id, threshold, vector length, the
 * contributor list and every ciphertext in order, each length-prefixed. The chunks of one decrypt
 * request carry it; the custodian recomputes it over what it reassembled before decrypting, so a
 * lost, repeated, reordered or foreign chunk cannot be decrypted as part of the aggregate.
 */
export function aggregateDigest(keyId: string, threshold: number, agg: HeAggregate): Uint8Array {
  const h = createHash('sha256');
  field(h, Buffer.from('fedsynth/v1/he-decrypt'));
  field(h, Buffer.from(keyId, 'utf8'));
  field(h, Buffer.from(agg.roundId, 'utf8'));
  h.update(u32(threshold));
  h.update(u32(agg.vectorLength));
  h.update(u32(agg.contributors.length));
  for (const p of agg.contributors) field(h, Buffer.from(p, 'utf8'));
  h.update(u32(agg.ciphertexts.length));
  for (const ct of agg.ciphertexts) field(h, ct);
  return new Uint8Array(h.digest());
}

/** SHA-256 over "fedsynth/v1/he-sum", the round id and the whole sum (little-endian int64 bytes). */
export function sumDigest(roundId: string, sum: Uint8Array): Uint8Array {
  const h = createHash('sha256');
  field(h, Buffer.from('fedsynth/v1/he-sum'));
  field(h, Buffer.from(roundId, 'utf8'));
  field(h, sum);
  return new Uint8Array(h.digest());
}

/** Constant-time comparison of two digests (false on different lengths). */
export function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqual(a, b);
}
