// halvedNoise: the planted fault privacy audits must catch — every party's noise scale halved (variance
// quartered) in the mechanism the oracle plans; a vi.mock factory for tests only, reachable from no configuration.
import type * as Ddg from '../../shared/dp/mechanisms/distributedDiscreteGaussian.js';

/** vi.mock factory body for shared/dp/mechanisms/distributedDiscreteGaussian.js: the honest plan at a quarter of its variance. */
export async function halvedNoise(importOriginal: <T>() => Promise<T>): Promise<typeof Ddg> {
  const real = await importOriginal<typeof Ddg>();
  return {
    ...real,
    planDistributedDiscreteGaussian: (req: Parameters<typeof real.planDistributedDiscreteGaussian>[0]) => {
      const honest = real.planDistributedDiscreteGaussian(req);
      return real.distributedDiscreteGaussian({ ...req, perPartySigma2: honest.perPartySigma2 / 4 });
    },
  };
}
