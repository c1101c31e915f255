// randomizedRounding: unbiased randomized rounding to the integer grid, and KLS 2021's conditional
// variant (re-round until the L2 norm is within a bound). Random bits from a RandomSource (CSPRNG).
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import type { RandomSource } from '../random/RandomSource.js';
import { uniformFloat } from '../random/uniform.js';

/**
 * R(x)_i = floor(x_i) + [U_i < x_i - floor(x_i)], U_i uniform on {k 2^-53} (53-bit uniformFloat),
 * independent: E R(x)_i = x_i up to 2^-53, and R(x)_i is floor(x_i) or floor(x_i) + 1.
 * For a FIXED U the map is x -> ceil(x - U) coordinatewise (x = k + f: f > U gives k + 1 =
 * ceil(k + f - U), f <= U gives k), monotone in x. Hence the coupling that uses the same U for
 * two inputs x, x' gives |R(x)_i - R(x')_i| <= ceil(|x_i - x'_i|), the fact the party-sum
 * sensitivity rests on (roundedNormBound.ts). The fractional part x - floor(x) is exact in floating point.
 */
export function randomizedRound(x: Float64Array, rng: RandomSource): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v) || Math.abs(v) > 2 ** 52) {
      throw new FedsynthError(ErrorCode.InvalidData, 'randomizedRound: a coordinate is not finite or exceeds 2^52', { index: i });
    }
    const f = Math.floor(v);
    out[i] = f + (uniformFloat(rng) < v - f ? 1 : 0);
  }
  return out;
}

/** Squared L2 norm, summed in order (deterministic). */
export function squaredNorm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return s;
}

/** Retry cap of conditionalRandomizedRound: with acceptance probability >= 1 - beta per try (KLS 2021). */
export const MAX_ROUNDING_ATTEMPTS = 10_000;

/**
 * KLS 2021, conditional randomized rounding (Sec. 4.1, Prop. 22): draw R(x) until ||R(x)||_2 <=
 * bound. With bound = roundedNormBound(||x||-bound c, d, beta) (their Theorem 1 norm bound) a try
 * is accepted with probability >= 1 - beta, so the expected number of tries is <= 1/(1 - beta);
 * the output ALWAYS satisfies the bound, which is what makes it a sensitivity bound. Throws after
 * MAX_ROUNDING_ATTEMPTS failures (the bound is then wrong for this input, e.g. ||x|| > c).
 */
export function conditionalRandomizedRound(x: Float64Array, bound: number, rng: RandomSource): Float64Array {
  if (!(bound >= 0)) throw new FedsynthError(ErrorCode.InvalidArgument, `rounding bound must be >= 0, got ${bound}`);
  const b2 = bound * bound;
  for (let t = 0; t < MAX_ROUNDING_ATTEMPTS; t++) {
    const r = randomizedRound(x, rng);
    if (squaredNorm(r) <= b2) return r;
  }
  throw new FedsynthError(ErrorCode.InvalidData, 'conditional randomized rounding: the norm bound was never met (is the input clipped?)', { bound });
}
