// plainGradientExposure: what a dpsgd study in plain mode exposes a party to — the coordinator sees its
// vector with only its own noise share — as the epsilon of T rounds of one share, from the public terms.
import { noiseMultiplierFor } from '../accounting/noiseMultiplierFor.js';
import { subsampledZcdpLoss } from '../accounting/poissonSubsampledRdp.js';
import { repeatLoss } from '../accounting/PrivacyLoss.js';
import { epsilonFromLoss } from '../accounting/rdpConversion.js';

/** Relative allowance for KLS 2021's rounding and tau terms over z^-2 / 2 in a planned round. */
export const PLAIN_EXPOSURE_MARGIN = 0.05;

/**
 * A round planned for (epsilon, delta, q, T) has a summed-noise rho of at most 1 / (2 z^2), z =
 * noiseMultiplierFor (planGradientRound); the honest parties' shares are equal, so ONE share hides
 * the party's vector with rho at most h / (2 z^2), h = parties - colluders - dropouts (plus the
 * rounding/tau allowance). T such rounds, Poisson-amplified (Zhu-Wang), read at delta: the plain
 * study's exposure, the cap a party that approved a plain dpsgd study charges against (releaseCapRho).
 */
export function plainGradientExposureEpsilon(t: { epsilon: number; delta: number; sampleRate: number; rounds: number; honestParties: number }): number {
  const z = noiseMultiplierFor({ epsilon: t.epsilon, delta: t.delta, sampleRate: t.sampleRate, steps: t.rounds });
  const rhoOne = ((1 + PLAIN_EXPOSURE_MARGIN) * Math.max(1, t.honestParties)) / (2 * z * z);
  return epsilonFromLoss(repeatLoss(subsampledZcdpLoss(t.sampleRate, rhoOne), t.rounds), t.delta);
}
