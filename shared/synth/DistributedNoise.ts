// DistributedNoise: how each party's share of discrete Gaussian noise is planned and drawn.
// Implemented by shared/dp (planDistributedGaussian, sampleDiscreteGaussian); injected here.
import type { RandomSource } from '../dp/random/RandomSource.js';

/** Plan + sampler for distributed discrete Gaussian noise summed by secure aggregation. */
export interface DistributedNoise {
  /**
   * The per-party variance parameter such that the SUM of `parties` shares makes a release of
   * L2 sensitivity `l2Sensitivity` satisfy `rho`-zCDP, and the stddev of the summed noise.
   */
  plan(args: { rho: number; l2Sensitivity: number; parties: number }): { perPartySigma2: number; stddev: number };
  /** One draw of discrete Gaussian noise with variance parameter `sigma2`. */
  sample(sigma2: number, rng: RandomSource): number;
}
