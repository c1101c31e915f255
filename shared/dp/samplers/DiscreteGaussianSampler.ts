// DiscreteGaussianSampler: exact discrete Gaussian noise, P(y) proportional to exp(-y^2 / (2 sigma^2)).
// Canonne, Kamath, Steinke (2020), "The Discrete Gaussian for Differential Privacy", Algorithm 3.
import type { RandomSource } from '../random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { isqrt, positiveRational, type Rational } from '../rational/Rational.js';
import { DiscreteLaplaceSampler, EXP_TABLE_LIMIT } from './DiscreteLaplaceSampler.js';
import { ExpNegBernoulli } from './ExpNegBernoulli.js';
import { ExpNegTable } from './ExpNegTable.js';

const MAX_SIGMA2 = 2 ** 60;
/**
 * Beyond the cut the acceptance exponent is >= 23, so exp(-gamma) 2^32 <= 2^32 e^-23 < 0.44 and the
 * certified 32-bit bounds are lo = 0, hi = 1: a first word u >= 1 rejects, u = 0 needs more bits.
 */
const CUT_EXPONENT = 23n;

/**
 * Exact sampler of N_Z(0, sigma^2) for a rational variance parameter sigma^2 = n/d (CKS Algorithm 3):
 *   t <- floor(sigma) + 1
 *   repeat: Y <- discrete Laplace with scale t (Algorithm 2);
 *           C <- Bernoulli(exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2)));  if C return Y.
 * The acceptance exponent is the exact rational (|Y| t d - n)^2 / (2 n d t^2); its Bernoulli trial is
 * exact (ExpNegTable: the certified 32-bit thresholds of each |Y| are computed once in BigInt and kept
 * as integers, so a warm draw is a few 32-bit words, integer compares and no allocation). Above
 * |Y| = cut (exponent >= 23, asserted in BigInt at construction) the thresholds are known to be
 * 0 and 1. No floating point value influences any outcome.
 * A number sigma^2 is converted exactly (see rationalFromNumber).
 */
export class DiscreteGaussianSampler {
  readonly sigma2: Rational;
  private readonly t: bigint;
  private readonly laplace: DiscreteLaplaceSampler;
  /** Acceptance trials for |Y| < min(cut, EXP_TABLE_LIMIT). */
  private readonly accept: ExpNegTable;
  /** Smallest |Y| > sigma^2 / t from which the acceptance exponent is >= CUT_EXPONENT. */
  readonly cut: number;

  constructor(sigma2: number | Rational) {
    this.sigma2 = positiveRational(sigma2, 'discrete Gaussian variance sigma^2');
    if (this.sigma2.num > BigInt(MAX_SIGMA2) * this.sigma2.den) {
      throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'discrete Gaussian sigma^2 must be <= 2^60');
    }
    // floor(sqrt(n/d)) = floor(sqrt(floor(n/d)))
    this.t = isqrt(this.sigma2.num / this.sigma2.den) + 1n;
    this.laplace = new DiscreteLaplaceSampler({ num: this.t, den: 1n });
    this.cut = acceptanceCut(this.sigma2, this.t);
    this.accept = new ExpNegTable(Math.min(this.cut, EXP_TABLE_LIMIT), (absY) => this.exponent(absY));
  }

  /** The acceptance exponent (|Y| t d - n)^2 / (2 n d t^2) as an exact rational. */
  private exponent(absY: number): Rational {
    const { num: n, den: d } = this.sigma2;
    const diff = BigInt(absY) * this.t * d - n;
    return { num: diff * diff, den: 2n * n * d * this.t * this.t };
  }

  private accepts(absY: number, rng: RandomSource): boolean {
    if (absY < this.accept.size) return this.accept.sample(absY, rng);
    if (absY >= this.cut) {
      // Thresholds lo = 0, hi = 1 (see CUT_EXPONENT): ExpNegBernoulli's first stage, without building it.
      const u = rng.nextUint32();
      if (u !== 0) return false;
      const g = this.exponent(absY);
      return new ExpNegBernoulli(g.num, g.den).continueFrom(u, rng);
    }
    const g = this.exponent(absY);
    return new ExpNegBernoulli(g.num, g.den).sample(rng);
  }

  /** One exact draw. */
  sample(rng: RandomSource): number {
    for (;;) {
      const y = this.laplace.sample(rng);
      if (this.accepts(y < 0 ? -y : y, rng)) return y;
    }
  }
}

/**
 * The smallest integer y >= 0 with y t d - n > 0 and (y t d - n)^2 >= 2 CUT_EXPONENT n d t^2, i.e.
 * acceptance exponent >= CUT_EXPONENT; the exponent increases in y beyond n/(d t), so the predicate
 * is monotone and every |Y| >= cut satisfies it. Binary search in exact BigInt arithmetic between 0
 * and ceil(n/(d t)) + 7t, which satisfies it (diff >= 7 t^2 d and 49 t^2 d >= 46 n since t^2 > n/d).
 */
function acceptanceCut(sigma2: Rational, t: bigint): number {
  const { num: n, den: d } = sigma2;
  const bound = 2n * CUT_EXPONENT * n * d * t * t;
  const ok = (y: bigint): boolean => {
    const diff = y * t * d - n;
    return diff > 0n && diff * diff >= bound;
  };
  let lo = 0n; // !ok(0): diff = -n < 0
  let hi = (n + d * t - 1n) / (d * t) + 7n * t;
  if (!ok(hi)) throw new FedsynthError(ErrorCode.Internal, 'discrete Gaussian: acceptance cut bracket');
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  if (hi > BigInt(Number.MAX_SAFE_INTEGER)) throw new FedsynthError(ErrorCode.Internal, 'discrete Gaussian: acceptance cut beyond 2^53');
  return Number(hi);
}

const cache = new Map<string, DiscreteGaussianSampler>();
const CACHE_SIZE = 64;

/** A (memoised) sampler for this variance; samplers hold only exact public parameters. */
export function discreteGaussianSampler(sigma2: number | Rational): DiscreteGaussianSampler {
  const r = positiveRational(sigma2, 'discrete Gaussian variance sigma^2');
  const key = `${r.num}/${r.den}`;
  let s = cache.get(key);
  if (s === undefined) {
    s = new DiscreteGaussianSampler(r);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(key, s);
  }
  return s;
}

/** One exact draw from N_Z(0, sigma2). */
export function sampleDiscreteGaussian(sigma2: number | Rational, rng: RandomSource): number {
  return discreteGaussianSampler(sigma2).sample(rng);
}

/**
 * A fresh array: counts[i] + an independent exact N_Z(0, sigma2) draw. Counts must be integers
 * (marginal counts); the result has the input's array type. Int32 results are checked for overflow.
 */
export function addDiscreteGaussianNoise<T extends Float64Array | Int32Array>(counts: T, sigma2: number | Rational, rng: RandomSource): T {
  const sampler = discreteGaussianSampler(sigma2);
  const out = (counts instanceof Int32Array ? new Int32Array(counts.length) : new Float64Array(counts.length)) as T;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (!Number.isInteger(c)) throw new FedsynthError(ErrorCode.InvalidData, `addDiscreteGaussianNoise: count ${i} is not an integer`);
    const v = c + sampler.sample(rng);
    if (counts instanceof Int32Array && (v > 2147483647 || v < -2147483648)) {
      throw new FedsynthError(ErrorCode.InvalidData, 'addDiscreteGaussianNoise: int32 overflow');
    }
    out[i] = v;
  }
  return out;
}
