// RoundSafety: before it charges or releases anything, the party checks a round's survivor threshold
// against its own noise plan and, for SecAgg+, the graph against the safe parameters (never trusting k or t).
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { neighbourhoodShortfall } from '../../shared/secagg/NeighbourhoodPolicy.js';
import { assertSurvivorThreshold } from '../../shared/secagg/SurvivorThreshold.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';

/** The approved study's terms the round is judged against (this party's own values). */
export interface RoundSafetyTerms {
  colluders: number;
  dropouts: number;
  /** The party's own floor for a SecAgg+ k (policy.minNeighbours; absent or 0 = the safe minimum only). */
  minNeighbours?: number;
}

/**
 * Throws THRESHOLD_BELOW_PLAN when compute.threshold is below max(n - d, and for masking the
 * signed-consistency quorum floor((n + f)/2) + 1) (shared/secagg/SurvivorThreshold), and
 * UNSAFE_NEIGHBOURHOOD when a masking round's SecAgg+ k or neighbourhood threshold is unsafe
 * (shared/secagg/NeighbourhoodPolicy), POLICY_REFUSED when k is safe but below the party's own
 * minNeighbours. All before the charge: a refused round costs nothing. Plain rounds have no threshold to check: the coordinator
 * sees each vector, and the party charges for that (rounds/releaseRho).
 */
export function verifyRoundSafety(terms: RoundSafetyTerms, stage: ComputeStage): void {
  const mode = stage.aggregation;
  if (mode === 'plain') return;
  const parties = stage.participants.length;
  assertSurvivorThreshold({ parties, threshold: stage.threshold, colluders: terms.colluders, dropouts: terms.dropouts }, mode);
  if (mode === 'masking') assertSafeNeighbourhood({ parties, threshold: stage.threshold, colluders: terms.colluders }, stage.neighbours, terms.minNeighbours ?? 0);
}

/**
 * Throws UNSAFE_NEIGHBOURHOOD (field compute.neighbours) unless k is safe for the round, then
 * POLICY_REFUSED if k is below this party's own `minNeighbours` (0 = no floor of its own).
 */
export function assertSafeNeighbourhood(risk: { parties: number; threshold: number; colluders: number }, k: number, minNeighbours = 0): void {
  const details = { field: 'compute.neighbours', neighbours: k, parties: risk.parties, threshold: risk.threshold };
  const why = neighbourhoodShortfall(risk, k);
  if (why !== undefined) throw new FedsynthError(ErrorCode.UnsafeNeighbourhood, `masking round refused: ${why}`, details);
  const own = neighbourhoodShortfall(risk, k, minNeighbours);
  if (own !== undefined) throw new FedsynthError(ErrorCode.PolicyRefused, `masking round refused: ${own}`, { ...details, minNeighbours });
}
