// OffsetScale: how a continuous value's position inside its public bin becomes the generator's offset
// target, and back: linear in [-1, 1] (tanh mean head), or probit (Gaussian-copula scale, identity mean head).
import { normalQuantile } from '../eval/risk/normalQuantile.js';

/**
 * 'linear': offset = 2u - 1 for the position u in [0, 1] inside the bin, the decoder's mean is
 * tanh(o) (the offsets of models written before the probit scale). 'probit': offset = Phi^-1(u) (u
 * kept in [PROBIT_EDGE, 1 - PROBIT_EDGE]), the mean is o itself: with the likelihood's sigma 1 an
 * untrained head (o = 0) puts N(0, 1) offsets, i.e. values uniform within the bin, the maximum-entropy
 * default, and a trained head moves mass towards where the rows' values sit (a Gaussian copula per
 * bin, as in Gaussian-copula synthesizers' marginal transforms).
 */
export type OffsetScale = 'linear' | 'probit';

/** Positions closer than this to a bin edge are treated as at it on the probit scale (|offset| <= 3.09). */
export const PROBIT_EDGE = 1e-3;

/** The offset of position u in [0, 1] inside a bin. */
export function offsetOfPosition(u: number, scale: OffsetScale): number {
  if (scale === 'linear') return Math.min(1, Math.max(-1, 2 * u - 1));
  return normalQuantile(Math.min(1 - PROBIT_EDGE, Math.max(PROBIT_EDGE, u)));
}

/** The position in [0, 1] inside a bin of a sampled offset (the inverse of offsetOfPosition inside its range). */
export function positionOfOffset(offset: number, scale: OffsetScale): number {
  if (scale === 'linear') return (Math.min(1, Math.max(-1, offset)) + 1) / 2;
  return normalCdf(offset);
}

/**
 * Phi(x) = erfc(-x / sqrt 2) / 2 with the Chebyshev fit of erfc from Numerical Recipes in C (2nd ed.,
 * section 6.2, erfcc: fractional error below 1.2e-7 everywhere).
 */
export function normalCdf(x: number): number {
  const y = -x / Math.SQRT2;
  const z = Math.abs(y);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return (y >= 0 ? r : 2 - r) / 2;
}
