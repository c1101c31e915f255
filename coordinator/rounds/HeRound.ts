// HeRound: the `he` aggregation mode over gRPC — the agents encrypt their noisy vectors under the
// key custodian's BFV key, the coordinator adds the ciphertexts (shared/he HeAggregator) and the
// custodian decrypts only the sum; the coordinator never holds the secret key.
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import { HeAggregator } from '../../shared/he/HeAggregator.js';
import { contributionFromWire, heParamsOfRound } from '../../shared/wire/heWire.js';
import type { RoundReply } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import type { CustodianGateway } from '../custodian/CustodianGateway.js';
import type { RoundOutcome, RoundPlan } from './RoundPlan.js';

export interface HeRoundOptions {
  /** The study's threshold t, bound into the custodian's key when it is created. */
  minContributors: number;
}

export async function runHeRound(
  gateway: AgentGateway,
  custodian: CustodianGateway,
  plan: RoundPlan,
  log: Logger,
  signingKeyOf: (certificate: Uint8Array) => Uint8Array | undefined,
  opts: HeRoundOptions,
): Promise<RoundOutcome> {
  const rlog = log.child({ studyId: plan.studyId, roundId: plan.roundId });
  const { params } = heParamsOfRound(plan.compute.modulusBits);
  const key = await custodian.publicKey(plan.studyId, params, Math.max(1, opts.minContributors), plan.timeoutMs);
  const compute = { ...plan.compute, hePublicKey: Buffer.from(key.publicKey) };
  const certificates = new Map<string, Uint8Array>();
  for (const p of plan.participants) {
    const s = gateway.session(p);
    if (s) certificates.set(p, s.certificate);
  }
  const aggregator = await HeAggregator.create(params, plan.roundId, plan.participants, compute.vectorLength, (id) => {
    const c = certificates.get(id);
    return c ? signingKeyOf(c) : undefined;
  });
  try {
    const refusals: RoundOutcome['refusals'] = [];
    const replies = await Promise.all(
      plan.participants.map(async (partyId): Promise<{ partyId: string; reply?: RoundReply }> => {
        const s = gateway.session(partyId);
        if (!s) return { partyId };
        try {
          return { partyId, reply: await s.request({ studyId: plan.studyId, roundId: plan.roundId, roundIndex: plan.roundIndex, stage: { $case: 'compute', value: compute } }, plan.timeoutMs) };
        } catch (e) {
          rlog.warn({ partyId, err: (e as Error).message }, 'party dropped out of the HE round');
          return { partyId };
        }
      }),
    );
    // Added in participant order (HeAggregator is order-independent; the order keeps logs stable).
    for (const { partyId, reply } of replies) {
      const stage = reply?.stage;
      if (!stage) continue;
      if (stage.$case === 'refusal') {
        refusals.push({ partyId, code: stage.value.code, message: stage.value.message });
        rlog.warn({ partyId, code: stage.value.code }, `party refused: ${stage.value.message}`);
        continue;
      }
      try {
        if (stage.$case !== 'heCiphertexts') throw new FedsynthError(ErrorCode.ProtocolViolation, `expected he_ciphertexts, got ${stage.$case}`, { field: 'round_reply.stage' });
        aggregator.add(contributionFromWire(plan.roundId, partyId, compute.vectorLength, stage.value));
      } catch (e) {
        rlog.warn({ partyId, code: isFedsynthError(e) ? e.code : ErrorCode.Internal, err: (e as Error).message }, 'HE contribution refused; party treated as dropped');
      }
    }
    const agg = aggregator.result();
    const survivors = agg.contributors;
    if (survivors.length < compute.threshold) {
      throw new FedsynthError(
        ErrorCode.TooFewSurvivors,
        `HE round ${plan.roundId}: ${survivors.length} valid contributions, at least ${compute.threshold} are needed` +
          (refusals.length ? `; refusals: ${refusals.map((r) => `${r.partyId} ${r.code}`).join(', ')}` : ''),
        { roundId: plan.roundId, survivors: survivors.length },
      );
    }
    const sum = await custodian.decrypt(key.keyId, compute.threshold, agg, plan.timeoutMs);
    const kept = new Set(survivors);
    return { sum, survivors, dropped: plan.participants.filter((p) => !kept.has(p)), refusals };
  } finally {
    aggregator.dispose();
  }
}
