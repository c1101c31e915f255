// judgeAnnouncement: the agent's verdict on an announced study — its own verification of the
// spec's privacy terms (SpecVerification) first, then its policy (StudyPolicy), in one answer.
import type { ErrorCode } from '../../shared/errors/FedsynthError.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import { judgeStudy, type AgentPolicy, type PolicyVerdict, type StudyAsk } from '../policy/StudyPolicy.js';
import { DEFAULT_PARTY_TERMS, verifySpecTerms, type PartyTerms, type VerifiedStudyTerms } from './SpecVerification.js';

/** The party's own privacy terms from its policy (defaults: k = 1, f = d = 0). */
export function partyTermsOf(policy: AgentPolicy): PartyTerms {
  return {
    maxSilosPerIndividual: policy.maxSilosPerIndividual ?? DEFAULT_PARTY_TERMS.maxSilosPerIndividual,
    minColluders: policy.minColluders ?? DEFAULT_PARTY_TERMS.minColluders,
    minDropouts: policy.minDropouts ?? DEFAULT_PARTY_TERMS.minDropouts,
  };
}

export interface AnnouncementVerdict {
  verdict: PolicyVerdict;
  /** Stable codes of the verification problems (empty when the spec's terms check out). */
  codes: ErrorCode[];
  /** The terms this party enforces if it joins (its own conversion and floors). */
  terms: VerifiedStudyTerms;
  ask: StudyAsk;
}

/** Verification problems and policy violations together refuse the study, each reason listed. */
export function judgeAnnouncement(policy: AgentPolicy, spec: StudySpec, parties: readonly string[]): AnnouncementVerdict {
  const { terms, problems } = verifySpecTerms(spec, partyTermsOf(policy), parties.length);
  const ask: StudyAsk = {
    studyId: spec.studyId,
    mechanism: spec.mechanism,
    epsilon: spec.epsilon,
    delta: spec.delta,
    columns: spec.columns,
    parties: parties.length,
    aggregation: spec.aggregation,
    // The f and d this party enforces (its floors applied): plain mode's exposure depends on them.
    colluders: terms.colluders,
    dropouts: terms.dropouts,
  };
  const policyVerdict = judgeStudy(policy, ask);
  if (problems.length === 0) return { verdict: policyVerdict, codes: [], terms, ask };
  const reasons = [...problems.map((p) => `${p.code}: ${p.message}`), ...(policyVerdict.kind === 'refuse' ? policyVerdict.reasons : [])];
  return { verdict: { kind: 'refuse', reasons }, codes: [...new Set(problems.map((p) => p.code))], terms, ask };
}
