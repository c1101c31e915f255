// policyBudget: the agent's own epsilon -> rho conversion — its ledger caps from its policy's epsilon
// caps, by rhoFromEpsilon, the one conversion the operator edge also uses (completeSpec).
import { rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';

/** The epsilon/delta caps of an agent's policy (config.policy). */
export interface PolicyEpsilonCaps {
  readonly maxEpsilonPerStudy: number;
  readonly maxDeltaPerStudy: number;
  /** Over all studies; absent = the per-study cap (a simulated party serves one study). */
  readonly lifetimeEpsilon?: number;
}

/** The ledger caps in zCDP rho, and the delta they were converted (and RDP charges are read) at. */
export interface PolicyBudget {
  readonly perStudyRho: number;
  readonly lifetimeRho: number;
  readonly delta: number;
}

/** The delta the agent converts its epsilon caps with (its policy's, or 1e-9 when that is 0). */
export function policyDelta(policy: Pick<PolicyEpsilonCaps, 'maxDeltaPerStudy'>): number {
  return policy.maxDeltaPerStudy > 0 ? policy.maxDeltaPerStudy : 1e-9;
}

/** The policy's epsilon caps as ledger caps in rho. */
export function policyBudget(policy: PolicyEpsilonCaps): PolicyBudget {
  const delta = policyDelta(policy);
  const perStudyRho = rhoFromEpsilon(policy.maxEpsilonPerStudy, delta);
  return { perStudyRho, lifetimeRho: policy.lifetimeEpsilon === undefined ? perStudyRho : rhoFromEpsilon(policy.lifetimeEpsilon, delta), delta };
}
