// PlainRound: the `plain` aggregation mode (tests and trusted deployments only — the coordinator
// sees each party's NOISY vector): ask every participant, sum the noisy vectors it receives.
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { decodeIntVector } from '../../shared/wire/intVectorCodec.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import type { RoundOutcome, RoundPlan } from './RoundPlan.js';
import { requestCompute } from './requestCompute.js';

export async function runPlainRound(gateway: AgentGateway, plan: RoundPlan, log: Logger): Promise<RoundOutcome> {
  const replies = await Promise.allSettled(
    plan.participants.map(async (partyId) => {
      const s = gateway.session(partyId);
      if (!s) throw new FedsynthError(ErrorCode.SourceUnavailable, `party ${partyId} is offline`);
      const reply = await requestCompute(s, plan);
      return { partyId, reply };
    }),
  );
  const sum = new Float64Array(plan.compute.vectorLength);
  const survivors: string[] = [];
  const dropped: string[] = [];
  const refusals: { partyId: string; code: string; message: string }[] = [];
  replies.forEach((r, i) => {
    const partyId = plan.participants[i];
    if (r.status === 'rejected') {
      dropped.push(partyId);
      log.warn({ studyId: plan.studyId, roundId: plan.roundId, partyId, err: (r.reason as Error).message }, 'party dropped out of round');
      return;
    }
    const stage = r.value.reply.stage;
    if (stage?.$case === 'refusal') {
      dropped.push(partyId);
      refusals.push({ partyId, code: stage.value.code, message: stage.value.message });
      log.warn({ studyId: plan.studyId, roundId: plan.roundId, partyId, code: stage.value.code }, `party refused: ${stage.value.message}`);
      return;
    }
    if (stage?.$case !== 'plain') {
      dropped.push(partyId);
      log.warn({ studyId: plan.studyId, roundId: plan.roundId, partyId }, 'party answered with the wrong stage; treated as dropped');
      return;
    }
    try {
      const v = decodeIntVector(stage.value.noisyVector, stage.value.elementBits, plan.compute.vectorLength, 'round_reply.plain.noisy_vector');
      for (let k = 0; k < v.length; k++) sum[k] += v[k];
      survivors.push(partyId);
    } catch (e) {
      dropped.push(partyId);
      log.warn({ studyId: plan.studyId, roundId: plan.roundId, partyId, err: (e as Error).message }, 'malformed contribution refused');
    }
  });
  return { sum, survivors, dropped, refusals };
}
