// halvedNoise: the planted fault privacy audits must catch — every party's noise scale halved (variance
// quartered) in the mechanism the oracle plans; a vi.mock factory for tests only, reachable from no configuration.
import type * as Ddg from '../../shared/dp/mechanisms/distributedDiscreteGaussian.js';

/** The fault is on unless a test turns it off (to run the honest mechanism in the same file for comparison). */
export const halving = { enabled: true };

/** vi.mock factory body for shared/dp/mechanisms/distributedDiscreteGaussian.js: the honest plan at a quarter of its variance. */
export async function halvedNoise(importOriginal: <T>() => Promise<T>): Promise<typeof Ddg> {
  const real = await importOriginal<typeof Ddg>();
  return {
    ...real,
    planDistributedDiscreteGaussian: (req: Parameters<typeof real.planDistributedDiscreteGaussian>[0]) => {
      const honest = real.planDistributedDiscreteGaussian(req);
      if (!halving.enabled) return honest;
      return real.distributedDiscreteGaussian({ ...req, perPartySigma2: honest.perPartySigma2 / 4 });
    },
  };
}
