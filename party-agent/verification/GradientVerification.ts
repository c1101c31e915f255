// GradientVerification: the agent's check of a gradient round (mechanism dpsgd) against the training
// it approved — it re-derives the plan itself and refuses any term beyond the announced ones.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { rederiveGradientRoundPlan, type GradientRoundPlan } from '../../shared/dp/gradient/GradientRoundPlan.js';
import { gradientRoundLoss } from '../../shared/dp/gradient/gradientRoundLoss.js';
import { PrivacyAccountant } from '../../shared/dp/accounting/PrivacyAccountant.js';
import { repeatLoss, type PrivacyLoss } from '../../shared/dp/accounting/PrivacyLoss.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import type { DpsgdTraining } from '../../shared/study/StudySpec.js';

/** What the party approved that a gradient round is checked against (ApprovedStudy's fields). */
export interface GradientTerms {
  readonly studyId: string;
  /** The study's cap on this party's ledger (releaseCapRho: a plain study's is its plain exposure). */
  readonly capRho: number;
  readonly delta: number;
  readonly colluders: number;
  readonly dropouts: number;
  readonly training?: DpsgdTraining;
}

function refuse(msg: string, field: string, details: Record<string, unknown> = {}): never {
  throw new FedsynthError(ErrorCode.ProtocolViolation, `gradient round refused: ${msg}`, { field, ...details });
}

/**
 * The re-derived plan (rederiveGradientRoundPlan: sensitivity and honest parties recomputed from
 * C, gamma and the padded length; a lower announced sensitivity is refused) after checking it
 * against the approved training: q and C at most the announced ones, the round within the announced
 * number, no more honest survivors than the round's participants leave, colluders and dropouts at least what the party agreed
 * to, the model's dimension, the ring; and its loss a fair share: `rounds` such rounds fit the study
 * budget (a plan with less noise, which would spend the budget in fewer rounds, is refused here
 * rather than by the ledger later). Returns the plan and the loss to charge (of THIS plan; in plain
 * mode plainGradientRoundLoss).
 */
export function verifyGradientRound(terms: GradientTerms, stage: ComputeStage, query: { round: number; plan: GradientRoundPlan }, dimension: number): { plan: GradientRoundPlan; loss: PrivacyLoss } {
  const t = terms.training;
  if (t === undefined) refuse(`study ${terms.studyId} is not a dpsgd study`, 'compute.query');
  let plan: GradientRoundPlan;
  try {
    plan = rederiveGradientRoundPlan(query.plan);
  } catch (e) {
    return refuse((e as Error).message, 'compute.query.plan');
  }
  if (!(plan.sampleRate <= t.sampleRate)) refuse(`sample rate ${plan.sampleRate} is above the announced ${t.sampleRate}`, 'compute.query.plan.sample_rate');
  if (!(plan.clipNorm <= t.clipNorm)) refuse(`clip norm ${plan.clipNorm} is above the announced ${t.clipNorm}`, 'compute.query.plan.clip_norm');
  if (!Number.isInteger(query.round) || query.round < 1 || query.round > t.rounds) refuse(`round ${query.round} is outside the announced 1..${t.rounds}`, 'compute.query.round');
  // The plan's noise counts honestMinParties shares; this round has at most participants - f - d honest survivors.
  const honest = stage.participants.length - terms.colluders - terms.dropouts;
  if (plan.honestMinParties > honest) refuse(`the plan counts ${plan.honestMinParties} honest surviving parties, this round has at most ${honest}`, 'compute.query.plan.parties');
  if (plan.colluders < terms.colluders) refuse(`the plan assumes ${plan.colluders} colluders, the study ${terms.colluders}`, 'compute.query.plan.colluders');
  if (plan.dropouts < terms.dropouts) refuse(`the plan assumes ${plan.dropouts} dropouts, the study ${terms.dropouts}`, 'compute.query.plan.dropouts');
  if (plan.dimension !== dimension) refuse(`the plan has ${plan.dimension} parameters, the study's model ${dimension}`, 'compute.query.plan.dimension');
  if (plan.bits !== stage.modulusBits) refuse(`the plan's ring is ${plan.bits} bits, the round's ${stage.modulusBits}`, 'compute.query.plan.bits');
  if (!(stage.perPartySigma2 === plan.perPartySigma2)) refuse(`compute.per_party_sigma2 ${stage.perPartySigma2} is not the plan's ${plan.perPartySigma2}`, 'compute.per_party_sigma2');
  const loss = stage.aggregation === 'plain' ? plainGradientRoundLoss(plan) : gradientRoundLoss(plan);
  const budget = new PrivacyAccountant(terms.capRho, { delta: terms.delta });
  if (!budget.canCharge(repeatLoss(loss, t.rounds))) {
    refuse(`${t.rounds} rounds of this plan would exceed the study budget (too little noise: per-party sigma^2 ${plan.perPartySigma2})`, 'compute.query.plan.per_party_sigma2');
  }
  return { plan, loss };
}

/**
 * Plain mode: the coordinator sees this party's vector with only its own N_Z(0, perPartySigma2)
 * share, so the round costs what one share hides (the plan re-read with a single honest party:
 * KLS 2021 with one summand), Poisson-amplified as usual; never less than the sum's loss.
 */
export function plainGradientRoundLoss(plan: GradientRoundPlan): PrivacyLoss {
  return gradientRoundLoss({ ...plan, parties: 1, colluders: 0, dropouts: 0, honestMinParties: 1 });
}
