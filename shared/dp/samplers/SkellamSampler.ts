// SkellamSampler: exact symmetric Skellam noise, the difference of two independent Poisson(mu).
// Variance 2 mu; closed under sums, as used by the Skellam mechanism (Agarwal, Kairouz, Liu 2021).
import type { RandomSource } from '../random/RandomSource.js';
import { positiveRational, rational, type Rational } from '../rational/Rational.js';
import { PoissonSampler } from './PoissonSampler.js';

/** Exact Sk(mu, mu) with mu = variance / 2: X = P1 - P2, P1, P2 ~ Poisson(mu) independent. */
export class SkellamSampler {
  readonly variance: Rational;
  private readonly poisson: PoissonSampler;

  constructor(variance: number | Rational) {
    this.variance = positiveRational(variance, 'Skellam variance');
    this.poisson = new PoissonSampler(rational(this.variance.num, 2n * this.variance.den));
  }

  /** One exact draw. */
  sample(rng: RandomSource): number {
    return this.poisson.sample(rng) - this.poisson.sample(rng);
  }
}

/** One exact Skellam draw with the given variance. */
export function sampleSkellam(variance: number | Rational, rng: RandomSource): number {
  return new SkellamSampler(variance).sample(rng);
}
