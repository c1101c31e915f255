// DiscreteLaplaceSampler: exact discrete Laplace noise, P(y) proportional to exp(-|y|/scale) on Z.
// Canonne, Kamath, Steinke (2020), "The Discrete Gaussian for Differential Privacy", Algorithm 2.
import type { RandomSource } from '../random/RandomSource.js';
import { uniformBigInt } from '../random/uniform.js';
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { positiveRational, type Rational } from '../rational/Rational.js';
import { ExpNegBernoulli } from './ExpNegBernoulli.js';
import { ExpNegTable } from './ExpNegTable.js';

const FAST_LIMIT = 2 ** 30; // t, s below this: exact integer arithmetic in doubles
/** Entries of the exp(-u/t) table (u < min(t, this)); 16 bytes each. Larger u: one BigInt trial each. */
export const EXP_TABLE_LIMIT = 1 << 20;
const MAX_SCALE = 2 ** 40;

/**
 * Exact sampler of the discrete Laplace distribution with rational scale t/s (CKS Algorithm 2):
 *   repeat: U <- Uniform{0..t-1}; D <- Bernoulli(exp(-U/t)); if !D retry;
 *           V <- number of successes of Bernoulli(exp(-1)) before the first failure;
 *           X <- U + t V;  Y <- floor(X / s);  B <- Bernoulli(1/2);
 *           if B = 1 and Y = 0 retry;  return (1 - 2B) Y.
 * All Bernoulli(exp(-.)) trials are exact (ExpNegBernoulli; the exp(-U/t) thresholds of every U seen
 * are kept in an ExpNegTable, so a warm draw allocates nothing). Build one sampler, draw many values.
 */
export class DiscreteLaplaceSampler {
  readonly scale: Rational;
  private readonly t: bigint;
  private readonly s: bigint;
  private readonly fast: boolean;
  private readonly tn: number;
  private readonly sn: number;
  private readonly uLimit: number;
  private readonly uTable: ExpNegTable | undefined;
  private readonly expMinusOne = new ExpNegBernoulli(1n, 1n);

  constructor(scale: number | Rational) {
    this.scale = positiveRational(scale, 'discrete Laplace scale');
    if (this.scale.num > BigInt(MAX_SCALE) * this.scale.den) {
      throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `discrete Laplace scale must be <= 2^40`);
    }
    this.t = this.scale.num;
    this.s = this.scale.den;
    this.fast = this.t <= BigInt(FAST_LIMIT) && this.s <= BigInt(FAST_LIMIT);
    this.tn = this.fast ? Number(this.t) : 0;
    this.sn = this.fast ? Number(this.s) : 0;
    this.uLimit = this.fast ? 2 ** 31 - (2 ** 31 % this.tn) : 0;
    const t = this.t;
    this.uTable = this.fast ? new ExpNegTable(Math.min(this.tn, EXP_TABLE_LIMIT), (u) => ({ num: BigInt(u), den: t })) : undefined;
  }

  private acceptU(u: number, rng: RandomSource): boolean {
    if (u === 0) return true;
    if (this.uTable !== undefined && u < this.uTable.size) return this.uTable.sample(u, rng);
    return new ExpNegBernoulli(BigInt(u), this.t).sample(rng);
  }

  /** Number of successes of Bernoulli(exp(-1)) before the first failure (geometric). */
  private geometricV(rng: RandomSource): number {
    let v = 0;
    while (this.expMinusOne.sample(rng)) v++;
    return v;
  }

  /** One exact draw. */
  sample(rng: RandomSource): number {
    return this.fast ? this.sampleFast(rng) : this.sampleBig(rng);
  }

  private sampleFast(rng: RandomSource): number {
    const t = this.tn;
    for (;;) {
      // One word gives the sign bit B (top bit) and U (low 31 bits, rejection-sampled): the two
      // are independent, and the sampler keeps no random state between calls.
      let w: number;
      do w = rng.nextUint32();
      while ((w & 0x7fffffff) >= this.uLimit);
      const b = w >>> 31;
      const u = (w & 0x7fffffff) % t;
      if (!this.acceptU(u, rng)) continue;
      const x = u + t * this.geometricV(rng);
      const y = this.sn === 1 ? x : Math.floor(x / this.sn); // exact: integers below 2^53
      if (b === 1 && y === 0) continue;
      return b === 1 ? -y : y;
    }
  }

  private sampleBig(rng: RandomSource): number {
    for (;;) {
      const u = uniformBigInt(rng, this.t);
      if (u !== 0n && !new ExpNegBernoulli(u, this.t).sample(rng)) continue;
      const x = u + this.t * BigInt(this.geometricV(rng));
      const y = x / this.s;
      const b = rng.nextUint32() >>> 31;
      if (b === 1 && y === 0n) continue;
      return Number(b === 1 ? -y : y);
    }
  }
}

/** One exact discrete Laplace draw with the given scale (builds a sampler: prefer the class for many). */
export function sampleDiscreteLaplace(scale: number | Rational, rng: RandomSource): number {
  return new DiscreteLaplaceSampler(scale).sample(rng);
}
