// requestCompute: sends one party a round's compute stage (a large query first as acknowledged
// QueryChunk stages, one in flight); an answer other than a refusal confirms its charge (onCharged).
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { QUERY_CHUNK_BYTES, splitQuery } from '../../shared/wire/QueryChunks.js';
import type { RoundReply } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { AgentSession } from '../gateway/AgentSession.js';
import type { RoundPlan } from './RoundPlan.js';
import { computeStageToWire } from '../../platform/wire/computeStageWire.js';

/** The fields every stage request of `plan` carries: study, round id, index and the attempt. */
export function roundHead(plan: RoundPlan): { studyId: string; roundId: string; roundIndex: number; attempt: number } {
  return { studyId: plan.studyId, roundId: plan.roundId, roundIndex: plan.roundIndex, attempt: plan.attempt ?? 0 };
}

/**
 * The party's reply to the compute stage of `plan`. A refusal of a chunk is returned as the reply
 * (the round runners treat it as they treat a refused compute stage).
 */
export async function requestCompute(session: AgentSession, plan: RoundPlan): Promise<RoundReply> {
  const chunks = splitQuery(plan.compute.query, plan.queryChunkBytes ?? QUERY_CHUNK_BYTES);
  const head = roundHead(plan);
  for (let i = 0; i < chunks.length - 1; i++) {
    const reply = await session.request({ ...head, stage: { $case: 'queryChunk', value: { chunkIndex: i, chunkCount: chunks.length, data: Buffer.from(chunks[i]) } } }, plan.timeoutMs);
    if (reply.stage?.$case === 'refusal') return reply;
    if (reply.stage?.$case !== 'queryChunkAck' || reply.stage.value.chunkIndex !== i) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, `party ${session.partyId} did not acknowledge query chunk ${i}`, { partyId: session.partyId });
    }
  }
  const last = chunks[chunks.length - 1];
  const reply = await session.request({ ...head, stage: { $case: 'compute', value: computeStageToWire({ ...plan.compute, query: last, queryChunkCount: chunks.length }) } }, plan.timeoutMs);
  // An agent answers the compute stage only after charging its ledger (ComputeHandler): confirmed.
  if (reply.stage !== undefined && reply.stage.$case !== 'refusal') plan.onCharged?.(session.partyId);
  return reply;
}
