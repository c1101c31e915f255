// MaskPrg: the mask pseudo-random generator of Bonawitz et al. (CCS 2017, Sec. 4): a 32-byte seed is
// turned into an AES-256-CTR key by HKDF-SHA256 (bound to the round) and its keystream is the mask.
import { createCipheriv, hkdfSync, type Cipher } from 'node:crypto';
import { wordCount } from './ModularVector.js';

/**
 * Keystream bytes per cipher.update call. 128 KiB: large enough that Node's per-call Buffer
 * allocation is amortised, small enough that one destination chunk and a group of keystream chunks
 * stay in L2 while they are added (measured on the 2-core dev machine: 4 MB of AES-256-CTR in
 * ~3 ms at 128-256 KiB per call, against 6-7 ms at 16-64 KiB and ~6 ms in one 1 MiB call).
 */
const CHUNK_BYTES = 1 << 17;
const CHUNK_WORDS = CHUNK_BYTES / 4;
const ZEROS = Buffer.alloc(CHUNK_BYTES);
const ZERO_WORDS = new Int32Array(CHUNK_WORDS);
const IV = Buffer.alloc(16);
/** Keystreams added per pass over a destination chunk (one load/store of dst per GROUP masks). */
const GROUP = 4;

/** Domain-separated HKDF-SHA256: 32 bytes from `ikm`, salted with the round id, `info` an encoded label. */
export function deriveKey(ikm: Uint8Array, roundId: string, info: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', ikm, Buffer.from(`fedsynth/secagg/v1/${roundId}`, 'utf8'), info, 32));
}

/** One mask to add (sign = 1) or subtract (sign = -1): PRG(key). */
export interface MaskTerm {
  key: Uint8Array;
  sign: 1 | -1;
}

// Mod 2^32 kernels on Int32Array views: a sum of five int32 values is exact in a double, and `| 0`
// reduces it mod 2^32 (two's complement), so four masks cost one load and one store of dst.
function add4(d: Int32Array, a: Int32Array, b: Int32Array, c: Int32Array, e: Int32Array): void {
  for (let i = 0; i < d.length; i++) d[i] = (d[i] + a[i] + b[i] + c[i] + e[i]) | 0;
}
function sub4(d: Int32Array, a: Int32Array, b: Int32Array, c: Int32Array, e: Int32Array): void {
  for (let i = 0; i < d.length; i++) d[i] = (d[i] - a[i] - b[i] - c[i] - e[i]) | 0;
}

/** dst +=/-= ks mod 2^64 on (low, high) word pairs with carry/borrow; ks.length is even. */
function addWords64(d: Uint32Array, ks: Uint32Array, sign: 1 | -1): void {
  if (sign === 1) {
    for (let i = 0; i < ks.length; i += 2) {
      const a = d[i];
      const lo = (a + ks[i]) >>> 0;
      d[i] = lo;
      d[i + 1] = (d[i + 1] + ks[i + 1] + (lo < a ? 1 : 0)) >>> 0;
    }
  } else {
    for (let i = 0; i < ks.length; i += 2) {
      const a = d[i];
      const b = ks[i];
      d[i] = (a - b) >>> 0;
      d[i + 1] = (d[i + 1] - ks[i + 1] - (a < b ? 1 : 0)) >>> 0;
    }
  }
}

/** The next `words` keystream words of `cipher`, 4-byte aligned (copied into `spare` if not). */
function keystream(cipher: Cipher, words: number, spare: () => Uint8Array): Uint8Array {
  const ks: Uint8Array = cipher.update(words === CHUNK_WORDS ? ZEROS : ZEROS.subarray(0, words * 4));
  if (ks.byteOffset % 4 === 0) return ks;
  const copy = spare().subarray(0, ks.byteLength);
  copy.set(ks);
  return copy;
}

/**
 * Adds every term's mask PRG(key) to `dst` mod 2^bits, in place, in one pass over `dst`: the
 * masks' AES-256-CTR keystreams (zero IV, read as little-endian 32-bit words; for 64 bits two words
 * per element, low word first) are produced chunk by chunk, and each chunk of `dst` receives all of
 * them while it is in cache, GROUP masks per load/store. The result equals applying the terms one
 * by one (addition mod 2^k commutes). A key must only ever be used for one mask.
 */
export function applyMasks(dst: Uint32Array, terms: readonly MaskTerm[], bits: 32 | 64): void {
  if (terms.length === 0 || dst.length === 0) return;
  // Same-sign groups: all additions first, then all subtractions.
  const ordered = [...terms.filter((t) => t.sign === 1), ...terms.filter((t) => t.sign === -1)];
  const ciphers: Cipher[] = ordered.map((t) => createCipheriv('aes-256-ctr', t.key, IV));
  const spares: Uint8Array[] = [];
  for (let start = 0; start < dst.length; start += CHUNK_WORDS) {
    const words = Math.min(CHUNK_WORDS, dst.length - start);
    if (bits === 64) {
      const d = dst.subarray(start, start + words);
      ordered.forEach((t, i) => {
        const ks = keystream(ciphers[i], words, () => (spares[0] ??= new Uint8Array(CHUNK_BYTES)));
        addWords64(d, new Uint32Array(ks.buffer, ks.byteOffset, words), t.sign);
      });
      continue;
    }
    const d = new Int32Array(dst.buffer, dst.byteOffset + 4 * start, words);
    const zero = ZERO_WORDS.subarray(0, words);
    for (let g = 0; g < ordered.length; ) {
      const sign = ordered[g].sign;
      const group: Int32Array[] = [];
      while (group.length < GROUP && g < ordered.length && ordered[g].sign === sign) {
        const j = group.length;
        const ks = keystream(ciphers[g], words, () => (spares[j] ??= new Uint8Array(CHUNK_BYTES)));
        group.push(new Int32Array(ks.buffer, ks.byteOffset, words));
        g++;
      }
      while (group.length < GROUP) group.push(zero);
      (sign === 1 ? add4 : sub4)(d, group[0], group[1], group[2], group[3]);
    }
  }
}

/** Adds (sign = 1) or subtracts (sign = -1) the mask PRG(key) to `dst` mod 2^bits, in place. */
export function applyMask(dst: Uint32Array, key: Uint8Array, sign: 1 | -1, bits: 32 | 64): void {
  applyMasks(dst, [{ key, sign }], bits);
}

/** The mask itself as a fresh vector (for tests and known-answer vectors). */
export function maskVector(key: Uint8Array, length: number, bits: 32 | 64): Uint32Array {
  const out = new Uint32Array(wordCount(length, bits));
  applyMask(out, key, 1, bits);
  return out;
}
