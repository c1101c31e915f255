// distributedDiscreteGaussian: fedsynth's one noise mechanism — each party adds an exact N_Z(0, sigma_p^2)
// share to its integer counts; plan, sampler and privacy map together (Kairouz, Liu, Steinke 2021; CKS 2020).
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';
import { planDistributedGaussian, summedShareSigma2, type DistributedGaussianRequest } from '../distributed/planDistributedGaussian.js';
import { rhoOfDistributedGaussian } from '../distributed/rhoOfDistributedGaussian.js';
import { addDiscreteGaussianNoise } from '../samplers/DiscreteGaussianSampler.js';
import { makeMechanism, type Mechanism } from './Mechanism.js';

/** Who adds a share: `parties` in all, of whom `colluders` may collude and `dropouts` may drop out. */
export interface DistributedNoiseParties {
  readonly parties: number;
  readonly colluders: number;
  readonly dropouts: number;
}

/**
 * The mechanism value: `invoke(counts, rng)` is ONE party's release (its exact integer counts plus
 * an independent N_Z(0, perPartySigma2) per cell, CKS 2020 Algorithm 3); `privacyMap(l2)` is the zCDP
 * rho of the securely aggregated SUM for a query of L2 sensitivity l2, counting only the worst-case
 * `honestMinParties` = parties - colluders - dropouts shares (KLS 2021, Prop. 14 / Eq. 17; with one
 * share, CKS 2020 Thm 4: l2^2 / (2 sigma^2)); it rejects negative, NaN or infinite input.
 */
export interface DistributedDiscreteGaussian extends Mechanism<Float64Array, Float64Array>, DistributedNoiseParties {
  readonly perPartySigma2: number;
  readonly honestMinParties: number;
  /** Variance parameter of the summed noise when `survivors` parties' shares are in the sum. */
  sumSigma2(survivors: number): number;
}

/** The mechanism with a given per-party variance (e.g. the one a coordinator asks a party to add). */
export function distributedDiscreteGaussian(p: DistributedNoiseParties & { readonly perPartySigma2: number }): DistributedDiscreteGaussian {
  const sigma2 = checkPrivacyNumber(p.perPartySigma2, 'perPartySigma2', true);
  for (const [k, v] of [['parties', p.parties], ['colluders', p.colluders], ['dropouts', p.dropouts]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `${k} must be an integer >= 0, got ${v}`);
  }
  const honest = p.parties - p.colluders - p.dropouts;
  if (honest < 1) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `no honest surviving party: parties=${p.parties}, colluders=${p.colluders}, dropouts=${p.dropouts}`);
  }
  const base = makeMechanism<Float64Array, Float64Array>(
    'distributed-discrete-gaussian',
    'Kairouz, Liu, Steinke 2021, Prop. 14 / Eq. 17 (sum of n_h discrete Gaussians); Canonne, Kamath, Steinke 2020, Thm 4 and Alg. 3',
    (l2) => rhoOfDistributedGaussian({ sigma2, summands: honest, l2Sensitivity: l2 }),
    (counts, rng) => addDiscreteGaussianNoise(counts, sigma2, rng),
  );
  return {
    ...base,
    parties: p.parties,
    colluders: p.colluders,
    dropouts: p.dropouts,
    perPartySigma2: sigma2,
    honestMinParties: honest,
    sumSigma2: (survivors: number) => summedShareSigma2(survivors, sigma2),
  };
}

/**
 * The plan: the mechanism with the smallest per-party variance whose privacy map at the request's
 * L2 sensitivity is at most `rho` (planDistributedGaussian: bisection, re-checked).
 */
export function planDistributedDiscreteGaussian(req: Omit<DistributedGaussianRequest, 'l1Sensitivity'>): DistributedDiscreteGaussian {
  const plan = planDistributedGaussian(req);
  return distributedDiscreteGaussian({ parties: req.parties, colluders: req.colluders, dropouts: req.dropouts, perPartySigma2: plan.perPartySigma2 });
}
