// discreteGaussianNoise: the production DistributedNoise, from shared/dp: per-party variance by
// planDistributedGaussian (KLS 2021 bound, colluders/dropouts) and exact discrete Gaussian draws.
import { planDistributedGaussian } from '../dp/distributed/planDistributedGaussian.js';
import { sampleDiscreteGaussian } from '../dp/samplers/DiscreteGaussianSampler.js';
import type { DistributedNoise } from './DistributedNoise.js';

/**
 * Distributed discrete Gaussian noise tolerating `colluders` parties that collude with the
 * coordinator and `dropouts` parties whose shares may be missing. The reported stddev is that of
 * the sum of all `parties` shares (the noise actually in the released sum when nobody drops out).
 */
export function discreteGaussianNoise(colluders = 0, dropouts = 0): DistributedNoise {
  return {
    plan({ rho, l2Sensitivity, parties }) {
      const f = Math.min(colluders, parties - 1);
      const d = Math.min(dropouts, parties - 1 - f);
      const plan = planDistributedGaussian({ rho, l2Sensitivity, parties, colluders: f, dropouts: d });
      return { perPartySigma2: plan.perPartySigma2, stddev: Math.sqrt(plan.sumSigma2(parties)) };
    },
    sample: (sigma2, rng) => sampleDiscreteGaussian(sigma2, rng),
  };
}
