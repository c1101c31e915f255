// ringWrap: KLS 2021's modular step: integer vectors into the secure-aggregation ring Z_2^bits (the
// ring of shared/secagg) and the aggregate back to signed integers; reuses the secagg codec.
import { decodeSigned, encodeSigned, type SignedSum } from '../../secagg/ModularVector.js';

/** Every integer in a Float64Array is exact below 2^53; the ring keeps it mod 2^bits. */
const EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * x mod 2^bits as little-endian words (two's complement), for any integer |x| < 2^53: the wrap is
 * exact modular arithmetic (KLS 2021, Sec. 4: the sum mod m is recovered exactly when the true sum
 * lies in [-m/2, m/2)). A party whose values fit the round's maxAbsValue may equally hand the
 * signed vector to SecAggParty, which encodes it the same way.
 */
export function wrapIntoRing(values: Float64Array, bits: 32 | 64): Uint32Array {
  return encodeSigned(values, bits, EXACT);
}

/** The aggregate residues (or a decoded SignedSum) as signed integers in [-2^(bits-1), 2^(bits-1)). */
export function unwrapRingSum(sum: Uint32Array | SignedSum, bits: 32 | 64): Float64Array {
  const signed = sum instanceof Uint32Array ? decodeSigned(sum, bits) : sum;
  const out = new Float64Array(signed.length);
  for (let i = 0; i < signed.length; i++) out[i] = Number(signed[i]);
  return out;
}
