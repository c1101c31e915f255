// intVectorCodec: the wire encoding of integer vectors (noisy counts) as little-endian int32 or
// int64 bytes, with exact range checks: a value that does not fit is an error, never wrapped.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** Encodes integers (given as doubles) in the narrowest of int32/int64 that holds them all. */
export function encodeIntVector(values: ArrayLike<number>): { bytes: Uint8Array; elementBits: 32 | 64 } {
  let fits32 = true;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isSafeInteger(v)) throw new FedsynthError(ErrorCode.InvalidArgument, `value at ${i} is not a safe integer: ${v}`, { index: i });
    if (v < -2147483648 || v > 2147483647) fits32 = false;
  }
  if (fits32) {
    const a = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) a[i] = values[i];
    return { bytes: new Uint8Array(a.buffer), elementBits: 32 };
  }
  const a = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) a[i] = BigInt(values[i]);
  return { bytes: new Uint8Array(a.buffer), elementBits: 64 };
}

/** Decodes to doubles; checks the byte length against the expected vector length. */
export function decodeIntVector(bytes: Uint8Array, elementBits: number, expectedLength: number, field = 'noisy_vector'): Float64Array {
  const width = elementBits === 64 ? 8 : elementBits === 32 ? 4 : 0;
  if (width === 0) throw new FedsynthError(ErrorCode.ProtocolViolation, `${field}: element_bits must be 32 or 64, got ${elementBits}`, { field });
  if (bytes.byteLength !== expectedLength * width) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `${field}: expected ${expectedLength} elements (${expectedLength * width} bytes), got ${bytes.byteLength} bytes`, { field });
  }
  const copy = new Uint8Array(bytes); // aligned copy
  const out = new Float64Array(expectedLength);
  if (width === 4) {
    const a = new Int32Array(copy.buffer);
    for (let i = 0; i < expectedLength; i++) out[i] = a[i];
  } else {
    const a = new BigInt64Array(copy.buffer);
    for (let i = 0; i < expectedLength; i++) {
      const v = a[i];
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new FedsynthError(ErrorCode.ProtocolViolation, `${field}: element ${i} out of range`, { field, index: i });
      }
      out[i] = Number(v);
    }
  }
  return out;
}
