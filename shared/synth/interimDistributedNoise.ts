// INTERIM distributed noise for tests and benches ONLY, until shared/dp lands its exact
// discrete Gaussian sampler and distributed plan. Not for production: floats, no collusion margin.
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat } from '../dp/random/uniform.js';
import type { DistributedNoise } from './DistributedNoise.js';

/**
 * INTERIM. Plan: total variance Δ²/(2ρ) split evenly over the parties (no colluders, no
 * dropouts). Sample: a continuous Gaussian (Box-Muller, floating point) rounded to an integer,
 * whose variance is sigma2 + 1/12; the sum of N such shares is then treated as Gaussian.
 * Replace with shared/dp's planDistributedGaussian + sampleDiscreteGaussian.
 */
export const interimDistributedNoise: DistributedNoise = {
  plan({ rho, l2Sensitivity, parties }) {
    const total = (l2Sensitivity * l2Sensitivity) / (2 * rho);
    const perPartySigma2 = total / parties;
    return { perPartySigma2, stddev: Math.sqrt(parties * (perPartySigma2 + 1 / 12)) };
  },
  sample(sigma2: number, rng: RandomSource): number {
    const u1 = 1 - uniformFloat(rng);
    const u2 = uniformFloat(rng);
    return Math.round(Math.sqrt(sigma2) * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  },
};
