// SpecVerification: the party re-derives every privacy term of an announced study itself — rho
// from the (epsilon, delta) it approves, and its own floors for sensitivity, colluders, dropouts.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { feasibilityProblems } from '../../shared/study/studyFeasibility.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';

/** This party's own privacy terms (agent config `policy`); a study may be stricter, never weaker. */
export interface PartyTerms {
  /** k: silos one person may appear in at most (per-record sensitivity is multiplied by k). */
  maxSilosPerIndividual: number;
  /** Floor for f, the parties assumed to collude with the coordinator. */
  minColluders: number;
  /** Floor for d, the parties whose noise may be missing from a sum. */
  minDropouts: number;
}

/** The terms a party enforces for a study: every value derived or floored here, none trusted. */
export interface VerifiedStudyTerms {
  epsilon: number;
  delta: number;
  /** rho from this party's own conversion of (epsilon, delta): the study's cap on its ledger. */
  approvedRho: number;
  /** max(spec, own floor) */
  colluders: number;
  /** max(spec, own floor) */
  dropouts: number;
  /** max(spec, own k) */
  maxSilosPerIndividual: number;
}

/** One reason a spec fails this party's verification, with a stable code. */
export interface SpecProblem {
  code: ErrorCode;
  field: string;
  message: string;
}

/**
 * The coordinator's rho may lie below this party's conversion by this relative amount (an older
 * or differently rounded converter; charging less is harmless) and above it by none beyond the
 * ledger's 1e-12 slack (the ledger caps the study at `approvedRho`).
 */
const RHO_BELOW_TOLERANCE = 1e-9;
const RHO_ABOVE_TOLERANCE = 1e-12;

/**
 * Verifies an announced spec against this party's terms. Returns the effective terms and every
 * problem found (all of them, so the operator sees the whole picture):
 * - INVALID_PRIVACY_PARAMETER: epsilon or delta unusable, or a non-integer/negative count;
 * - SPEC_RHO_MISMATCH: spec.rho is not rhoFromEpsilon(epsilon, delta) as computed here;
 * - SPEC_INFEASIBLE: the study could not finish (synthetic rows or cells beyond the bounds, or,
 *   when `invited` is given, fewer invited parties than a round needs): refused before any charge;
 * - SPEC_BELOW_PARTY_TERMS: the spec's colluders, dropouts or maxSilosPerIndividual are below this
 *   party's own. The coordinator sizes every party's noise share from the spec, so a study planned
 *   with weaker terms could not give this party its guarantee: it is refused before any round
 *   (and rounds are re-checked against the effective terms anyway, `effectiveStudyTerms`).
 */
export function verifySpecTerms(spec: StudySpec, own: PartyTerms, invited?: number): { terms: VerifiedStudyTerms; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const add = (code: ErrorCode, field: string, message: string): void => {
    problems.push({ code, field, message });
  };
  let approvedRho = Number.NaN;
  if (!(spec.epsilon > 0 && Number.isFinite(spec.epsilon))) add(ErrorCode.InvalidPrivacyParameter, 'epsilon', `epsilon ${spec.epsilon} is not a positive number`);
  else if (!(spec.delta > 0 && spec.delta < 1)) add(ErrorCode.InvalidPrivacyParameter, 'delta', `delta ${spec.delta} is not in (0, 1)`);
  else {
    approvedRho = rhoFromEpsilon(spec.epsilon, spec.delta);
    const rhoOk = Number.isFinite(spec.rho) && spec.rho <= approvedRho * (1 + RHO_ABOVE_TOLERANCE) && spec.rho >= approvedRho * (1 - RHO_BELOW_TOLERANCE);
    if (!rhoOk) {
      add(ErrorCode.SpecRhoMismatch, 'rho', `the study's rho ${spec.rho} is not what epsilon ${spec.epsilon}, delta ${spec.delta} give (${approvedRho}, computed by this party)`);
    }
  }
  const count = (field: string, v: number): void => {
    if (!(Number.isInteger(v) && v >= 0)) add(ErrorCode.InvalidPrivacyParameter, field, `${field} ${v} is not a count`);
  };
  count('colluders', spec.colluders);
  count('dropouts', spec.dropouts);
  count('max_silos_per_individual', spec.maxSilosPerIndividual);
  const feasibility = {
    syntheticRows: spec.syntheticRows,
    columns: spec.domain.length,
    minParties: spec.minParties,
    colluders: spec.colluders,
    dropouts: spec.dropouts,
    // The pooled risk reservation must fit in the rho this party converted itself.
    rho: Number.isFinite(approvedRho) ? approvedRho : spec.rho,
    evaluationRho: spec.evaluationRho ?? 0,
    dpsgd: spec.mechanism === 'dpsgd',
  };
  for (const p of feasibilityProblems(invited === undefined ? feasibility : { ...feasibility, invited })) add(ErrorCode.SpecInfeasible, p.field, p.message);
  // Proto3 leaves 0 for "unset"; the coordinator completes it to 1, and 1 is the unit's minimum.
  const specK = Math.max(1, spec.maxSilosPerIndividual);
  const below = (field: string, theirs: number, mine: number, what: string): void => {
    if (theirs < mine) add(ErrorCode.SpecBelowPartyTerms, field, `the study assumes ${field} = ${theirs}; this party requires at least ${mine} (${what})`);
  };
  below('max_silos_per_individual', specK, own.maxSilosPerIndividual, 'policy.maxSilosPerIndividual: its sensitivity');
  below('colluders', spec.colluders, own.minColluders, 'policy.minColluders');
  below('dropouts', spec.dropouts, own.minDropouts, 'policy.minDropouts');
  return {
    terms: {
      epsilon: spec.epsilon,
      delta: spec.delta,
      approvedRho,
      colluders: Math.max(spec.colluders, own.minColluders),
      dropouts: Math.max(spec.dropouts, own.minDropouts),
      maxSilosPerIndividual: Math.max(specK, own.maxSilosPerIndividual),
    },
    problems,
  };
}

/**
 * The effective terms of an approved study at round time (the party's terms may have been raised
 * since approval: rounds then use the stricter ones). Throws the first problem as a FedsynthError.
 */
export function effectiveStudyTerms(spec: StudySpec, own: PartyTerms): VerifiedStudyTerms {
  const { terms, problems } = verifySpecTerms(spec, own);
  const first = problems.find((p) => p.code !== ErrorCode.SpecBelowPartyTerms) ?? undefined;
  if (first) throw new FedsynthError(first.code, first.message, { studyId: spec.studyId, field: `spec.${first.field}` });
  return terms;
}

/** Defaults when the agent config says nothing: per-record (k = 1), honest-but-curious (f = d = 0). */
export const DEFAULT_PARTY_TERMS: PartyTerms = { maxSilosPerIndividual: 1, minColluders: 0, minDropouts: 0 };
