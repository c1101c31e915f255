// MaskPrg: the mask pseudo-random generator of Bonawitz et al. (CCS 2017, Sec. 4): a 32-byte seed is
// turned into an AES-256-CTR key by HKDF-SHA256 (bound to the round) and its keystream is the mask.
import { createCipheriv, hkdfSync } from 'node:crypto';
import { wordCount } from './ModularVector.js';

const CHUNK_BYTES = 1 << 16;
const ZEROS = Buffer.alloc(CHUNK_BYTES);

/** Domain-separated HKDF-SHA256: 32 bytes from `ikm`, salted with the round id, `info` an encoded label. */
export function deriveKey(ikm: Uint8Array, roundId: string, info: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, Buffer.from(`fedsynth/secagg/v1/${roundId}`, 'utf8'), info, 32));
}

/**
 * Adds (sign = 1) or subtracts (sign = -1) the mask PRG(key) to `dst` mod 2^bits, in place. The mask
 * is the AES-256-CTR keystream (zero IV) read as little-endian 32-bit words, produced in 64 KiB
 * chunks so memory stays flat. A key must only ever be used for one mask.
 */
export function applyMask(dst: Uint32Array, key: Uint8Array, sign: 1 | -1, bits: 32 | 64): void {
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const totalWords = dst.length;
  const aligned = new Uint32Array(CHUNK_BYTES / 4);
  const alignedBytes = new Uint8Array(aligned.buffer);
  for (let start = 0; start < totalWords; start += CHUNK_BYTES / 4) {
    const words = Math.min(CHUNK_BYTES / 4, totalWords - start);
    const ks = cipher.update(words * 4 === CHUNK_BYTES ? ZEROS : ZEROS.subarray(0, words * 4));
    let m: Uint32Array;
    if (ks.byteOffset % 4 === 0) {
      m = new Uint32Array(ks.buffer, ks.byteOffset, words);
    } else {
      alignedBytes.set(ks);
      m = aligned;
    }
    if (bits === 32) {
      if (sign === 1) for (let i = 0; i < words; i++) dst[start + i] += m[i];
      else for (let i = 0; i < words; i++) dst[start + i] -= m[i];
    } else if (sign === 1) {
      for (let i = 0; i < words; i += 2) {
        const j = start + i;
        const lo = dst[j] + m[i];
        dst[j] = lo;
        dst[j + 1] += m[i + 1] + (lo > 0xffffffff ? 1 : 0);
      }
    } else {
      for (let i = 0; i < words; i += 2) {
        const j = start + i;
        const lo = dst[j] - m[i];
        dst[j] = lo;
        dst[j + 1] -= m[i + 1] + (lo < 0 ? 1 : 0);
      }
    }
  }
}

/** The mask itself as a fresh vector (for tests and known-answer vectors). */
export function maskVector(key: Uint8Array, length: number, bits: 32 | 64): Uint32Array {
  const out = new Uint32Array(wordCount(length, bits));
  applyMask(out, key, 1, bits);
  return out;
}
