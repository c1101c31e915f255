// StudyPolicy: the party's own rules for which studies it joins (columns, epsilon, mechanism,
// number of parties) and whether it approves automatically or waits for `fedsynth agent approve`.
import type { AggregationMode, MechanismName } from '../../shared/study/StudySpec.js';
import { epsilonFromRho, rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { plainReleaseRhoBound } from '../../shared/dp/distributed/plainReleaseBound.js';

export interface AgentPolicy {
  allowedColumns: readonly string[] | '*';
  maxEpsilonPerStudy: number;
  maxDeltaPerStudy: number;
  allowedMechanisms: readonly MechanismName[];
  minParties: number;
  /** true: approve every study within policy; {maxEpsilon}: only up to that epsilon; false: manual. */
  autoApprove: boolean | { maxEpsilon: number };
  allowPlainAggregation: boolean;
  /**
   * Study id -> aggregation modes this agent also serves for that study's rounds, besides the one it
   * approved (default none: any other mode is refused AGGREGATION_MODE_MISMATCH; plain still needs
   * allowPlainAggregation). verification/RoundMode.
   */
  extraRoundModes?: Readonly<Record<string, readonly AggregationMode[]>>;
  /** Masking rounds: the agent's own floor for a SecAgg+ k (MaskingParticipant; 0 or absent = the safe minimum only). */
  minNeighbours?: number;
  /** Silos one person may appear in (k); the agent plans its noise with max(this, the study's). Default 1. */
  maxSilosPerIndividual?: number;
  /** Floor for the study's colluders f: a study assuming fewer is refused. Default 0. */
  minColluders?: number;
  /** Floor for the study's dropouts d: a study assuming fewer is refused. Default 0. */
  minDropouts?: number;
}

export interface StudyAsk {
  studyId: string;
  mechanism: MechanismName;
  epsilon: number;
  delta: number;
  columns: readonly string[];
  parties: number;
  aggregation: AggregationMode;
  /** f and d of the study: in plain mode they set what this party really reveals (plainExposure). */
  colluders: number;
  dropouts: number;
}

/** What a plain-mode study costs this party: the coordinator sees its own vector, one noise share each. */
export interface PlainExposure {
  rho: number;
  epsilon: number;
  /** n - f - d: the factor over the study's rho. */
  factor: number;
  text: string;
}

/**
 * Plain mode only (undefined otherwise): the coordinator sees this party's noisy vector with only its
 * own share of the noise, so the study costs it up to (n - f - d) times its rho, and the party's
 * ledger is charged that (party-agent/rounds/releaseRho). The epsilon this party is asked to accept.
 */
export function plainExposure(ask: StudyAsk): PlainExposure | undefined {
  if (ask.aggregation !== 'plain') return undefined;
  const studyRho = rhoFromEpsilon(ask.epsilon, ask.delta);
  const rho = plainReleaseRhoBound({ rho: studyRho, parties: ask.parties, colluders: ask.colluders, dropouts: ask.dropouts });
  const factor = ask.parties - ask.colluders - ask.dropouts;
  const epsilon = epsilonFromRho(rho, ask.delta);
  const text =
    `plain aggregation: the coordinator sees this party's own noisy vector, with only its share of the noise; ` +
    `this study costs this party up to rho ${rho.toPrecision(4)} (epsilon ${epsilon.toPrecision(4)} at delta ${ask.delta}), ${factor} times the study's epsilon ${ask.epsilon}`;
  return { rho, epsilon, factor, text };
}

export type PolicyVerdict = { kind: 'approve' } | { kind: 'manual'; why: string } | { kind: 'refuse'; reasons: string[] };

/** Decides on a study: refusals list every violated rule so the operator sees all of them. */
export function judgeStudy(policy: AgentPolicy, ask: StudyAsk): PolicyVerdict {
  const reasons: string[] = [];
  if (policy.allowedColumns !== '*') {
    const allowed = new Set(policy.allowedColumns);
    const extra = ask.columns.filter((c) => !allowed.has(c));
    if (extra.length > 0) reasons.push(`columns not allowed by policy: ${extra.join(', ')}`);
  }
  if (!(ask.epsilon <= policy.maxEpsilonPerStudy)) reasons.push(`epsilon ${ask.epsilon} exceeds the per-study cap ${policy.maxEpsilonPerStudy}`);
  let plain: PlainExposure | undefined;
  try {
    plain = plainExposure(ask);
  } catch (e) {
    reasons.push(`plain aggregation: ${(e as Error).message}`);
  }
  // In plain mode the epsilon this party really spends is the exposure, not the study's epsilon.
  const spent = plain?.epsilon ?? ask.epsilon;
  if (plain && ask.epsilon <= policy.maxEpsilonPerStudy && !(spent <= policy.maxEpsilonPerStudy)) {
    reasons.push(`${plain.text}, above the per-study cap ${policy.maxEpsilonPerStudy}`);
  }
  if (!(ask.delta <= policy.maxDeltaPerStudy)) reasons.push(`delta ${ask.delta} exceeds the per-study cap ${policy.maxDeltaPerStudy}`);
  if (!policy.allowedMechanisms.includes(ask.mechanism)) reasons.push(`mechanism ${ask.mechanism} is not allowed by policy`);
  if (ask.parties < policy.minParties) reasons.push(`only ${ask.parties} parties; policy requires at least ${policy.minParties}`);
  if (ask.aggregation === 'plain' && !policy.allowPlainAggregation) reasons.push('plain aggregation (no secure aggregation) is not allowed by policy');
  if (reasons.length > 0) return { kind: 'refuse', reasons };
  if (policy.autoApprove === true) return { kind: 'approve' };
  if (typeof policy.autoApprove === 'object' && spent <= policy.autoApprove.maxEpsilon) return { kind: 'approve' };
  return { kind: 'manual', why: `policy requires an operator to run \`fedsynth agent approve\`${plain ? `; ${plain.text}` : ''}` };
}
