// MaskingRound: the `masking` aggregation mode over gRPC — drives shared/secagg's SecAggServer
// (Bonawitz et al. 2017) through its stages, relaying between the agents' streams; the coordinator
// learns only the sum of the survivors' noisy vectors.
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import { SecAggServer, type StageOutcome } from '../../shared/secagg/SecAggServer.js';
import type { RoundConfig } from '../../shared/secagg/RoundConfig.js';
import { computeRoundConfig, type MaskingComputeFields } from '../../shared/wire/computeRoundConfig.js';
import type { ServerRequest } from '../../shared/secagg/SecAggMessages.js';
import { replyFromWire, requestToWire } from '../../platform/wire/secaggWire.js';
import type { RoundReply, RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import type { RoundOutcome, RoundPlan } from './RoundPlan.js';
import { requestCompute, roundHead } from './requestCompute.js';

/**
 * The round configuration both sides derive from the compute stage (party-agent MaskingParticipant
 * calls this too): `neighbours` k > 0 below n - 1 selects the SecAgg+ sparse graph, anything else
 * the full graph.
 */
export function maskingConfigOf(plan: MaskingComputeFields & { roundId: string }): RoundConfig {
  return computeRoundConfig(plan.roundId, plan);
}

export async function runMaskingRound(
  gateway: AgentGateway,
  plan: RoundPlan,
  log: Logger,
  signingKeyOf: (certificate: Uint8Array) => Uint8Array | undefined,
): Promise<RoundOutcome> {
  const config = maskingConfigOf({ roundId: plan.roundId, ...plan.compute });
  const certificates = new Map<string, Uint8Array>();
  for (const p of plan.participants) {
    const s = gateway.session(p);
    if (s) certificates.set(p, s.certificate);
  }
  const server = await SecAggServer.create(config, (id) => {
    const c = certificates.get(id);
    return c ? signingKeyOf(c) : undefined;
  });
  server.begin();
  const refusals: RoundOutcome['refusals'] = [];
  const rlog = log.child({ studyId: plan.studyId, roundId: plan.roundId });

  const ask = async (partyId: string, stage: NonNullable<RoundRequest['stage']> | 'compute', secaggStage: string): Promise<void> => {
    const s = gateway.session(partyId);
    if (!s) return;
    let reply: RoundReply;
    try {
      reply = stage === 'compute' ? await requestCompute(s, plan) : await s.request({ ...roundHead(plan), stage }, plan.timeoutMs);
    } catch (e) {
      rlog.warn({ partyId, stage: secaggStage, err: (e as Error).message }, 'party dropped out during secure aggregation');
      return;
    }
    if (!reply.stage) return;
    if (reply.stage.$case === 'refusal') {
      refusals.push({ partyId, code: reply.stage.value.code, message: reply.stage.value.message });
      rlog.warn({ partyId, code: reply.stage.value.code }, `party refused: ${reply.stage.value.message}`);
      return;
    }
    try {
      const { reply: domainReply } = replyFromWire(plan.roundId, partyId, reply.stage);
      server.receive(domainReply);
    } catch (e) {
      rlog.warn({ partyId, stage: secaggStage, code: isFedsynthError(e) ? e.code : 'INTERNAL', err: (e as Error).message }, 'secure-aggregation reply refused');
    }
  };

  // Round 0: the compute stage; the agents answer with their signed keys.
  await Promise.all(plan.participants.map((p) => ask(p, 'compute', 'advertiseKeys')));
  let outcome: StageOutcome;
  try {
    outcome = await server.close();
    while (outcome.kind === 'requests') {
      const requests: Map<string, ServerRequest> = outcome.requests;
      await Promise.all(
        [...requests].map(([to, req]) => ask(to, requestToWire(req, (id) => certificates.get(id) ?? new Uint8Array(0)), req.stage)),
      );
      outcome = await server.close();
    }
  } catch (e) {
    if (isFedsynthError(e)) {
      throw new FedsynthError(e.code, `secure aggregation failed: ${e.message}` + (refusals.length ? `; refusals: ${refusals.map((r) => `${r.partyId} ${r.code}`).join(', ')}` : ''), { ...e.details, refusals });
    }
    throw e;
  }
  const sum = new Float64Array(plan.compute.vectorLength);
  const raw = outcome.sum;
  for (let i = 0; i < sum.length; i++) sum[i] = Number(raw[i]);
  if (raw instanceof BigInt64Array) {
    for (let i = 0; i < sum.length; i++) {
      if (raw[i] > BigInt(Number.MAX_SAFE_INTEGER) || raw[i] < -BigInt(Number.MAX_SAFE_INTEGER)) throw new FedsynthError(ErrorCode.Internal, 'aggregate out of safe range');
    }
  }
  return { sum, survivors: outcome.survivors, dropped: outcome.dropped, refusals };
}
