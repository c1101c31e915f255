// custodianThreshold: the smallest t the key custodian accepts for a study's key, derived by the
// custodian itself from the announced study and its own floor (never taken from the coordinator).
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** The terms of the announced study the custodian's floor is derived from. */
export interface CustodianStudyTerms {
  /** The study's min_parties (StudySpec.minParties). */
  minParties: number;
  /** f (StudySpec.colluders). */
  colluders: number;
  /** d (StudySpec.dropouts). */
  dropouts: number;
  /** Parties invited to the study (the announcement's list). */
  invited: number;
}

/**
 * The custodian's floor for a key's t: max(own floor, min_parties, f + 1). Why f + 1: the noise plan
 * (shared/secagg/SurvivorThreshold, Kairouz-Liu-Steinke 2021) needs a released sum of a round of
 * n participants to hold t >= n - d contributors, and a study starts only with n >= f + d + 1
 * approvals (coordinator StudyRunner), so no honest round of this study ever asks for fewer than
 * max(min_parties, f + 1). The custodian cannot see who approved, so this is the tightest t it can
 * derive on its own; the exact per-round n - d is enforced by every party, which refuses to encrypt
 * under a key whose signed t is below its own n - d (party-agent/verification/HeKeyVerification).
 */
export function custodianThresholdFloor(terms: CustodianStudyTerms, ownFloor: number): number {
  return Math.max(1, ownFloor, terms.minParties, terms.colluders + 1);
}

/**
 * The key's t for a request: the requested t if it is at least the floor and at most the invited
 * parties; THRESHOLD_BELOW_PLAN (field key_request.min_contributors) below the floor, PROTOCOL_VIOLATION
 * above the invited count (a key no round could use) or for study terms without an honest survivor.
 */
export function custodianKeyThreshold(terms: CustodianStudyTerms, ownFloor: number, requested: number): number {
  const { invited: n, colluders: f, dropouts: d } = terms;
  for (const [name, v] of [['minParties', terms.minParties], ['colluders', f], ['dropouts', d], ['invited', n], ['requested', requested]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new FedsynthError(ErrorCode.ProtocolViolation, `key request: ${name} must be a non-negative integer, got ${v}`, { field: 'key_request' });
  }
  if (n - f - d < 1) throw new FedsynthError(ErrorCode.ProtocolViolation, `key request: the study leaves no honest survivor (n = ${n}, f = ${f}, d = ${d})`, { field: 'key_request.spec' });
  const floor = custodianThresholdFloor(terms, ownFloor);
  if (floor > n) throw new FedsynthError(ErrorCode.ProtocolViolation, `key request: the custodian's t = ${floor} exceeds the ${n} invited parties`, { field: 'key_request.parties' });
  if (requested < floor) {
    throw new FedsynthError(ErrorCode.ThresholdBelowPlan, `key request asks t = ${requested}; this custodian derives t >= ${floor} from the study (min_parties ${terms.minParties}, f = ${f}) and its own floor ${ownFloor}`, {
      field: 'key_request.min_contributors',
      threshold: requested,
      required: floor,
    });
  }
  if (requested > n) throw new FedsynthError(ErrorCode.ProtocolViolation, `key request asks t = ${requested} for a study of ${n} invited parties`, { field: 'key_request.min_contributors' });
  return requested;
}
