// RoundMode: a round must use the aggregation mode the party approved for its study (or one its policy
// explicitly allows for that study), checked before anything is charged, drawn or sent.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { AggregationMode } from '../../shared/study/StudySpec.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import type { AgentPolicy } from '../policy/StudyPolicy.js';

/**
 * The modes this party serves for rounds of `studyId`: the approved mode, plus those the policy's
 * `extraRoundModes[studyId]` names; plain only while `allowPlainAggregation` (a plain round shows
 * the coordinator this party's vector with only its own noise share).
 */
export function roundModesFor(studyId: string, approved: AggregationMode, policy: Pick<AgentPolicy, 'allowPlainAggregation' | 'extraRoundModes'>): AggregationMode[] {
  const extra = (policy.extraRoundModes?.[studyId] ?? []).filter((m) => m !== 'plain' || policy.allowPlainAggregation);
  return [...new Set([approved, ...extra])];
}

/**
 * Throws AGGREGATION_MODE_MISMATCH unless compute.aggregation is one of `study.roundModes` (default:
 * the approved mode only). Without it a coordinator could ask for a plain round in a masking study
 * and see this party's vector with only its own noise share, whatever the policy said about plain.
 * (An UNSPECIFIED or unknown wire mode never gets here: the agent's edge refuses it, computeStageWire.)
 */
export function verifyRoundMode(study: { studyId: string; aggregation: AggregationMode; roundModes?: readonly AggregationMode[] }, stage: Pick<ComputeStage, 'aggregation'>): void {
  const allowed = study.roundModes ?? [study.aggregation];
  if (allowed.includes(stage.aggregation)) return;
  const asked = stage.aggregation;
  throw new FedsynthError(
    ErrorCode.AggregationModeMismatch,
    `round aggregation ${asked} is not the mode approved for study ${study.studyId} (${allowed.join(', ')})`,
    { field: 'compute.aggregation', studyId: study.studyId, aggregation: asked, approved: study.aggregation },
  );
}
