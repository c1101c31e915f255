// releaseRho: the zCDP cost a party charges for one contribution — what the coordinator can really
// see of it: the noisy SUM in masking and HE, but in plain mode this party's vector with its own share.
import type { AggregationMode, DpsgdTraining } from '../../shared/study/StudySpec.js';
import { plainGradientExposureEpsilon } from '../../shared/dp/gradient/plainGradientExposure.js';
import { epsilonFromRho, rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { discreteGaussianMechanism } from '../../shared/dp/mechanisms/discreteGaussianMechanism.js';
import { plainReleaseRhoBound } from '../../shared/dp/distributed/plainReleaseBound.js';

/**
 * Masking and HE: the round's rho (the plan makes every released sum rho-zCDP: rhoOfDistributedGaussian).
 * Plain: the coordinator receives this party's vector with only its own N_Z(0, sigma_p^2) share,
 * a central discrete Gaussian release costing Delta_2^2 / (2 sigma_p^2) (Canonne, Kamath, Steinke
 * 2020, Thm 4), about n - f - d times the round's rho; never less than the round's rho.
 */
export function releaseRho(stage: Pick<ComputeStage, 'aggregation' | 'rho' | 'perPartySigma2'>, l2Sensitivity: number): number {
  if (stage.aggregation !== 'plain') return stage.rho;
  return Math.max(stage.rho, discreteGaussianMechanism(stage.perPartySigma2).privacyMap(l2Sensitivity));
}

/**
 * The study's cap on this party's ledger: the approved rho, or for a study approved in plain mode
 * the exposure the party approved, (n - f - d) times it (plainReleaseRhoBound; StudyPolicy's
 * plainExposure showed it before approval). Keyed by the APPROVED mode: a plain round in a masking
 * study is charged what it reveals against the masking study's cap.
 */
export function releaseCapRho(study: { studyRho: number; parties: readonly string[]; colluders: number; dropouts: number; aggregation: AggregationMode; delta?: number; training?: DpsgdTraining }): number {
  if (study.aggregation !== 'plain') return study.studyRho;
  if (study.training !== undefined) {
    // dpsgd: the exposure of T rounds of one noise share (plainGradientExposureEpsilon), as a cap in rho.
    const delta = study.delta ?? 1e-9;
    const honestParties = study.parties.length - study.colluders - study.dropouts;
    const epsilon = plainGradientExposureEpsilon({ epsilon: epsilonFromRho(study.studyRho, delta), delta, sampleRate: study.training.sampleRate, rounds: study.training.rounds, honestParties });
    return Math.max(study.studyRho, rhoFromEpsilon(epsilon, delta));
  }
  return plainReleaseRhoBound({ rho: study.studyRho, parties: study.parties.length, colluders: study.colluders, dropouts: study.dropouts });
}
