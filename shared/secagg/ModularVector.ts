// ModularVector: vectors in Z_2^32 or Z_2^64 stored as little-endian Uint32Array words (two words
// per 64-bit element), with two's-complement encoding of signed integers and wrapping add/sub.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** Signed integer input: exact integers in a Float64Array, or a BigInt64Array for 64-bit values. */
export type SignedVector = Float64Array | BigInt64Array | Int32Array;

/** A decoded sum: Int32Array for k = 32, BigInt64Array for k = 64 (two's complement reinterpretation). */
export type SignedSum = Int32Array | BigInt64Array;

/** Number of 32-bit words holding `length` elements of `bits` bits. */
export function wordCount(length: number, bits: 32 | 64): number {
  return bits === 32 ? length : 2 * length;
}

/** A zero vector of `length` elements mod 2^bits. */
export function zeroVector(length: number, bits: 32 | 64): Uint32Array {
  return new Uint32Array(wordCount(length, bits));
}

/**
 * Encodes signed integers mod 2^bits (two's complement), refusing non-integers and |x| > maxAbs
 * with ErrorCode.InvalidData (the element index is reported, the value is not).
 */
export function encodeSigned(values: SignedVector, bits: 32 | 64, maxAbs: bigint): Uint32Array {
  const out = zeroVector(values.length, bits);
  const refuse = (i: number): never => {
    throw new FedsynthError(ErrorCode.InvalidData, 'secagg input value is not an integer within the stated bound', { index: i });
  };
  if (values instanceof BigInt64Array) {
    const view = bits === 64 ? new BigInt64Array(out.buffer) : undefined;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v > maxAbs || -v > maxAbs) refuse(i);
      if (view) view[i] = v;
      else out[i] = Number(v) >>> 0;
    }
    return out;
  }
  const lim = maxAbs > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(maxAbs);
  if (bits === 32 && lim <= 0x7fffffff) {
    // Fast path (every valid 32-bit round: n * maxAbs < 2^31): `v | 0 === v` holds exactly for
    // integers in int32 range (NaN, fractions and |v| >= 2^31 fail it), so one int32 compare pair
    // checks the bound; the store into an Int32Array view is the two's complement encoding.
    const o = new Int32Array(out.buffer);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      const w = v | 0;
      if (w !== v || w > lim || w < -lim) refuse(i);
      o[i] = w;
    }
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v > lim || -v > lim) refuse(i);
    if (bits === 32) {
      out[i] = v; // ToUint32 on store: two's complement mod 2^32
    } else {
      const lo = v >>> 0; // low 32 bits, exact for safe integers
      out[2 * i] = lo;
      out[2 * i + 1] = Math.floor((v - lo) / 4294967296); // high word (ToUint32 on store wraps negatives)
    }
  }
  return out;
}

/** Reinterprets residues as signed two's-complement values (no copy of the data). */
export function decodeSigned(words: Uint32Array, bits: 32 | 64): SignedSum {
  return bits === 32
    ? new Int32Array(words.buffer, words.byteOffset, words.length)
    : new BigInt64Array(words.buffer, words.byteOffset, words.length / 2);
}

/** dst += src mod 2^bits, in place. */
export function addInto(dst: Uint32Array, src: Uint32Array, bits: 32 | 64): void {
  const n = dst.length;
  if (src.length !== n) throw new FedsynthError(ErrorCode.InvalidArgument, 'vector length mismatch');
  if (bits === 32) {
    const d = new Int32Array(dst.buffer, dst.byteOffset, n);
    const s = new Int32Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) d[i] = (d[i] + s[i]) | 0; // int32 wrap = mod 2^32
    return;
  }
  for (let i = 0; i < n; i += 2) {
    const lo = dst[i] + src[i];
    const carry = lo > 0xffffffff ? 1 : 0;
    dst[i] = lo;
    dst[i + 1] += src[i + 1] + carry;
  }
}

/** dst -= src mod 2^bits, in place. */
export function subInto(dst: Uint32Array, src: Uint32Array, bits: 32 | 64): void {
  const n = dst.length;
  if (src.length !== n) throw new FedsynthError(ErrorCode.InvalidArgument, 'vector length mismatch');
  if (bits === 32) {
    const d = new Int32Array(dst.buffer, dst.byteOffset, n);
    const s = new Int32Array(src.buffer, src.byteOffset, n);
    for (let i = 0; i < n; i++) d[i] = (d[i] - s[i]) | 0;
    return;
  }
  for (let i = 0; i < n; i += 2) {
    const lo = dst[i] - src[i];
    const borrow = lo < 0 ? 1 : 0;
    dst[i] = lo;
    dst[i + 1] -= src[i + 1] + borrow;
  }
}

/** The little-endian bytes of a residue vector (a view when aligned, no copy). */
export function vectorToBytes(words: Uint32Array): Uint8Array {
  return new Uint8Array(words.buffer, words.byteOffset, words.byteLength);
}

/** Parses little-endian bytes into words, copying when the input is not 4-byte aligned. */
export function vectorFromBytes(bytes: Uint8Array): Uint32Array {
  if (bytes.byteLength % 4 !== 0) throw new FedsynthError(ErrorCode.ProtocolViolation, 'vector bytes are not a whole number of words');
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Uint32Array(copy.buffer);
}

/** The exact plain sum of signed inputs mod 2^bits, decoded (the reference every mode must match). */
export function plainSum(inputs: readonly SignedVector[], bits: 32 | 64, maxAbs: bigint): SignedSum {
  const length = inputs[0]?.length ?? 0;
  const acc = zeroVector(length, bits);
  for (const x of inputs) addInto(acc, encodeSigned(x, bits, maxAbs), bits);
  return decodeSigned(acc, bits);
}

/** A decoded sum as plain bigints (for comparisons across modes and for JSON). */
export function sumToBigInts(sum: SignedSum): bigint[] {
  const out: bigint[] = new Array<bigint>(sum.length);
  for (let i = 0; i < sum.length; i++) out[i] = BigInt(sum[i]);
  return out;
}
