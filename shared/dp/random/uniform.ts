// Exact uniform integers and 53-bit uniform floats drawn from a RandomSource.
// uniformInt uses rejection sampling, so it has no modulo bias.
import type { RandomSource } from './RandomSource.js';
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';

/** A uniform integer in [0, n), exact, for 1 <= n <= 2^53. */
export function uniformInt(rng: RandomSource, n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 53) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `uniformInt: n must be an integer in [1, 2^53], got ${n}`);
  }
  if (n === 1) return 0;
  if (n <= 2 ** 32) {
    const limit = 2 ** 32 - (2 ** 32 % n);
    for (;;) {
      const x = rng.nextUint32();
      if (x < limit) return x % n;
    }
  }
  // 53-bit path: 21 high bits + 32 low bits, rejection against the largest multiple of n.
  const range = 2 ** 53;
  const limit = range - (range % n);
  for (;;) {
    const hi = rng.nextUint32() & 0x1fffff;
    const lo = rng.nextUint32();
    const x = hi * 2 ** 32 + lo;
    if (x < limit) return x % n;
  }
}

/** A uniform float in [0, 1) with 53 random bits. Not for use inside DP noise samplers. */
export function uniformFloat(rng: RandomSource): number {
  const hi = rng.nextUint32() >>> 5; // 27 bits
  const lo = rng.nextUint32() >>> 6; // 26 bits
  return (hi * 67108864 + lo) / 9007199254740992;
}

/** A uniform BigInt in [0, n), exact, for n >= 1. */
export function uniformBigInt(rng: RandomSource, n: bigint): bigint {
  if (n < 1n) throw new FedsynthError(ErrorCode.InvalidArgument, `uniformBigInt: n must be >= 1, got ${n}`);
  if (n === 1n) return 0n;
  const bits = n.toString(2).length;
  const bytes = Math.ceil(bits / 8);
  const excess = BigInt(bytes * 8 - bits);
  for (;;) {
    const b = rng.nextBytes(bytes);
    let x = 0n;
    for (const byte of b) x = (x << 8n) | BigInt(byte);
    x >>= excess;
    if (x < n) return x;
  }
}

/** `k` uniform random bits as a BigInt in [0, 2^k), k a multiple of 32, read as whole words. */
export function uniformBits32(rng: RandomSource, k: number): bigint {
  if (!Number.isInteger(k) || k < 0 || k % 32 !== 0) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `uniformBits32: k must be a non-negative multiple of 32, got ${k}`);
  }
  let x = 0n;
  for (let i = 0; i < k; i += 32) x = (x << 32n) | BigInt(rng.nextUint32());
  return x;
}
