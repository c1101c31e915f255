// discreteGaussianMechanism: integer counts plus exact N_Z(0, sigma^2) noise per cell, with its map.
// Privacy map rho = Delta_2^2 / (2 sigma^2): Canonne, Kamath, Steinke 2020, Theorems 4 and 14.
import type { Rational } from '../rational/Rational.js';
import { positiveRational, rationalToNumber } from '../rational/Rational.js';
import { addDiscreteGaussianNoise } from '../samplers/DiscreteGaussianSampler.js';
import { makeMechanism, type Mechanism } from './Mechanism.js';

/** The (central or per-party) discrete Gaussian mechanism on integer count vectors. */
export function discreteGaussianMechanism(sigma2: number | Rational): Mechanism<Float64Array, Float64Array> {
  const r = positiveRational(sigma2, 'sigma2');
  const s2 = rationalToNumber(r);
  return makeMechanism(
    'discrete-gaussian',
    'Canonne, Kamath, Steinke 2020, Thm 4 / Thm 14: (Delta_2^2 / (2 sigma^2))-zCDP',
    (l2) => (l2 * l2) / (2 * s2),
    (counts: Float64Array, rng) => addDiscreteGaussianNoise(counts, r, rng),
  );
}
