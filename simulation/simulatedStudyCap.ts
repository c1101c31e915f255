// simulatedStudyCap: the per-study epsilon cap a simulated party's policy needs to approve one study
// of `simulate` — the study's epsilon, or in plain mode what the party's own noise share exposes.
import { plainReleaseRhoBound } from '../shared/dp/distributed/plainReleaseBound.js';
import { epsilonFromRho, rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { plainGradientExposureEpsilon } from '../shared/dp/gradient/plainGradientExposure.js';
import type { DpsgdTraining } from '../shared/study/StudySpec.js';
import type { AgentPolicy } from '../party-agent/policy/StudyPolicy.js';

export interface SimulatedStudyTerms {
  readonly epsilon: number;
  readonly delta: number;
  /** Mechanism dpsgd: the training terms (absent for the marginal mechanisms). */
  readonly training?: DpsgdTraining;
  readonly aggregation: 'plain' | 'masking' | 'he';
  readonly parties: number;
  readonly colluders: number;
  readonly drop: number;
}

/**
 * Plain mode: each party's vector is seen with its own noise share, which costs it up to
 * (n - f - d) times the study's rho (plainReleaseRhoBound); a plain dpsgd study exposes T rounds of
 * one noise share instead (plainGradientExposureEpsilon). Masking and HE: the study's epsilon.
 */
export function simulatedStudyCapEpsilon(t: SimulatedStudyTerms): number {
  if (t.aggregation !== 'plain') return t.epsilon;
  const rho =
    t.training !== undefined
      ? rhoFromEpsilon(plainGradientExposureEpsilon({ epsilon: t.epsilon, delta: t.delta, sampleRate: t.training.sampleRate, rounds: t.training.rounds, honestParties: t.parties - t.colluders - t.drop }), t.delta)
      : plainReleaseRhoBound({ rho: rhoFromEpsilon(t.epsilon, t.delta), parties: t.parties, colluders: t.colluders, dropouts: t.drop });
  return epsilonFromRho(rho * (1 + 1e-6), t.delta);
}

/** The simulated parties' policy: every mechanism, auto-approval, the given per-study caps. */
export function simulatedPolicy(maxEpsilonPerStudy: number, maxDeltaPerStudy: number): AgentPolicy {
  return {
    allowedColumns: '*',
    maxEpsilonPerStudy,
    maxDeltaPerStudy,
    allowedMechanisms: ['mst', 'aim', 'dpsgd'],
    minParties: 1,
    autoApprove: true,
    allowPlainAggregation: true,
  };
}
