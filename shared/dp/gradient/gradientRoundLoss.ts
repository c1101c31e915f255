// gradientRoundLoss: the privacy loss one DP-SGD round costs a record, as an RDP curve on RDP_ORDERS:
// KLS 2021's summed-discrete-Gaussian rho at the plan's sensitivity, amplified by Poisson sampling.
import { subsampledZcdpLoss } from '../accounting/poissonSubsampledRdp.js';
import type { PrivacyLoss } from '../accounting/PrivacyLoss.js';
import { rhoOfDistributedGaussian } from '../distributed/rhoOfDistributedGaussian.js';
import { discreteGaussianMechanism } from '../mechanisms/discreteGaussianMechanism.js';
import { differingCoordinates, rederiveGradientRoundPlan, type GradientRoundPlan } from './GradientRoundPlan.js';

/**
 * The zCDP rho of one round's release on a fixed sample: the sum of the honestMinParties discrete
 * Gaussian shares (perPartySigma2 each) hides an integer shift of L2 norm <= sensitivity that differs
 * in at most differingCoordinates(...) coordinates (KLS 2021, Prop. 14 / Eq. 17, tau term included).
 */
export function gradientRoundRho(plan: GradientRoundPlan): number {
  const p = rederiveGradientRoundPlan(plan);
  return rhoOfDistributedGaussian({
    sigma2: p.perPartySigma2,
    summands: p.honestMinParties,
    l2Sensitivity: p.sensitivity,
    l1Sensitivity: differingCoordinates(p.sensitivity, p.paddedDimension),
  });
}

/**
 * The round's loss: subsampledZcdpLoss(q, gradientRoundRho(plan)) (Poisson-subsampling bounds valid
 * for any rho-zCDP mechanism: Zhu & Wang 2019, and removal/addition bounded separately; min with
 * the unamplified rho alpha). An RDP part (rho = 0): charge it with
 * BudgetLedger.charge({ rho: 0, rdp: loss.rdp, ... }) BEFORE the party's vector leaves.
 */
export function gradientRoundLoss(plan: GradientRoundPlan): PrivacyLoss {
  return subsampledZcdpLoss(plan.sampleRate, gradientRoundRho(plan));
}

/**
 * What a round costs in PLAIN mode, where the coordinator sees this party's vector with only its own
 * N_Z(0, perPartySigma2) share: the multivariate discrete Gaussian is Delta^2 / (2 sigma_p^2)-zCDP for
 * an integer shift of L2 norm Delta (Canonne, Kamath, Steinke 2020, Thm 14; no tau term: one share),
 * amplified by Poisson sampling as gradientRoundLoss. Never below the summed round's loss.
 */
export function plainGradientRoundLoss(plan: GradientRoundPlan): PrivacyLoss {
  const p = rederiveGradientRoundPlan(plan);
  const rhoOne = discreteGaussianMechanism(p.perPartySigma2).privacyMap(p.sensitivity);
  return subsampledZcdpLoss(p.sampleRate, Math.max(rhoOne, gradientRoundRho(p)));
}
