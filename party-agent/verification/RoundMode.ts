// RoundMode: a round must use the aggregation mode the party approved for its study (or one its policy
// explicitly allows for that study), checked before anything is charged, drawn or sent.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { AggregationMode } from '../../shared/study/StudySpec.js';
import { Aggregation, type ComputeStage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
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

const WIRE_MODES: ReadonlyMap<Aggregation, AggregationMode> = new Map([
  [Aggregation.AGGREGATION_PLAIN, 'plain'],
  [Aggregation.AGGREGATION_MASKING, 'masking'],
  [Aggregation.AGGREGATION_HE, 'he'],
]);

/**
 * Throws AGGREGATION_MODE_MISMATCH unless compute.aggregation is one of `study.roundModes` (default:
 * the approved mode only). Without it a coordinator could ask for a plain round in a masking study
 * and see this party's vector with only its own noise share, whatever the policy said about plain.
 */
export function verifyRoundMode(study: { studyId: string; aggregation: AggregationMode; roundModes?: readonly AggregationMode[] }, stage: Pick<ComputeStage, 'aggregation'>): void {
  const allowed = study.roundModes ?? [study.aggregation];
  const mode = WIRE_MODES.get(stage.aggregation);
  if (mode !== undefined && allowed.includes(mode)) return;
  const asked = mode ?? Aggregation[stage.aggregation] ?? String(stage.aggregation);
  throw new FedsynthError(
    ErrorCode.AggregationModeMismatch,
    `round aggregation ${asked} is not the mode approved for study ${study.studyId} (${allowed.join(', ')})`,
    { field: 'compute.aggregation', studyId: study.studyId, aggregation: asked, approved: study.aggregation },
  );
}
