// DiscreteGaussianSampler: exact discrete Gaussian noise, P(y) proportional to exp(-y^2 / (2 sigma^2)).
// Canonne, Kamath, Steinke (2020), "The Discrete Gaussian for Differential Privacy", Algorithm 3.
import type { RandomSource } from '../random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { isqrt, positiveRational, type Rational } from '../rational/Rational.js';
import { DiscreteLaplaceSampler } from './DiscreteLaplaceSampler.js';
import { ExpNegBernoulli } from './ExpNegBernoulli.js';

const ACCEPT_CACHE_LIMIT = 1 << 20;
const MAX_SIGMA2 = 2 ** 60;

/**
 * Exact sampler of N_Z(0, sigma^2) for a rational variance parameter sigma^2 = n/d (CKS Algorithm 3):
 *   t <- floor(sigma) + 1
 *   repeat: Y <- discrete Laplace with scale t (Algorithm 2);
 *           C <- Bernoulli(exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2)));  if C return Y.
 * The acceptance exponent is the exact rational (|Y| t d - n)^2 / (2 n d t^2); its Bernoulli trial is
 * exact (ExpNegBernoulli, cached per |Y|). No floating point value influences any outcome.
 * A number sigma^2 is converted exactly (see rationalFromNumber).
 */
export class DiscreteGaussianSampler {
  readonly sigma2: Rational;
  private readonly t: bigint;
  private readonly laplace: DiscreteLaplaceSampler;
  private readonly accept: (ExpNegBernoulli | undefined)[] = [];

  constructor(sigma2: number | Rational) {
    this.sigma2 = positiveRational(sigma2, 'discrete Gaussian variance sigma^2');
    if (this.sigma2.num > BigInt(MAX_SIGMA2) * this.sigma2.den) {
      throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'discrete Gaussian sigma^2 must be <= 2^60');
    }
    // floor(sqrt(n/d)) = floor(sqrt(floor(n/d)))
    this.t = isqrt(this.sigma2.num / this.sigma2.den) + 1n;
    this.laplace = new DiscreteLaplaceSampler({ num: this.t, den: 1n });
  }

  private acceptance(absY: number): ExpNegBernoulli {
    const cached = absY < ACCEPT_CACHE_LIMIT ? this.accept[absY] : undefined;
    if (cached !== undefined) return cached;
    const { num: n, den: d } = this.sigma2;
    const diff = BigInt(absY) * this.t * d - n;
    const b = new ExpNegBernoulli(diff * diff, 2n * n * d * this.t * this.t);
    if (absY < ACCEPT_CACHE_LIMIT) this.accept[absY] = b;
    return b;
  }

  /** One exact draw. */
  sample(rng: RandomSource): number {
    for (;;) {
      const y = this.laplace.sample(rng);
      if (this.acceptance(y < 0 ? -y : y).sample(rng)) return y;
    }
  }
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
