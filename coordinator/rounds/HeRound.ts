// HeRound: the `he` aggregation mode over gRPC — the agents encrypt their noisy vectors under the
// key custodian's BFV key, the coordinator pulls each contribution in bounded chunks, reassembles
// and adds it (shared/he HeAggregator) and the custodian decrypts only the sum; the coordinator
// never holds the secret key.
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import { HeAggregator } from '../../shared/he/HeAggregator.js';
import { chunkFromWire, heParamsOfRound } from '../../platform/wire/heWire.js';
import { HeChunkAssembler } from '../../shared/he/HeChunkAssembler.js';
import { DEFAULT_MAX_CHUNK_BYTES } from '../../shared/he/HeChunk.js';
import type { HeContribution } from '../../shared/he/HeMessages.js';
import type { RoundReply, RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import type { AnnouncedStudy, CustodianGateway } from '../custodian/CustodianGateway.js';
import type { RoundOutcome, RoundPlan } from './RoundPlan.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { requestCompute, roundHead } from './requestCompute.js';

/** Decrypt requests per round while the custodian is unavailable (each waits up to the round timeout for it). */
const MAX_DECRYPT_ATTEMPTS = 3;

export interface HeRoundOptions {
  /** The study's threshold t, bound into the custodian's key when it is created. */
  minContributors: number;
  /** The study as announced to the parties; the custodian derives its own floor for t from it. */
  study: AnnouncedStudy;
  /** Largest chunk (ciphertext bytes) asked of the agents; default 4 MiB - 64 KiB. */
  maxChunkBytes?: number;
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
  // The key's t (fixed at creation, the custodian's floor for every later round) is at least this
  // round's plan-derived threshold, not only the study's min_parties.
  const key = await custodian.publicKey(opts.study, params, Math.max(1, opts.minContributors, plan.compute.threshold), plan.timeoutMs);
  const maxChunkBytes = opts.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
  // The parties verify the custodian's endorsement themselves; the coordinator only relays it.
  const heKeyEndorsement = { keyId: key.keyId, minContributors: key.minContributors, signature: key.signature, custodianCertificate: key.custodianCertificate, specHash: key.specHash };
  const compute: ComputeStage = { ...plan.compute, hePublicKey: key.publicKey, heKeyEndorsement, maxChunkBytes };
  const certificates = new Map<string, Uint8Array>();
  for (const p of plan.participants) {
    const s = gateway.session(p);
    if (s) certificates.set(p, s.certificate);
  }
  const aggregator = await HeAggregator.create(params, plan.roundId, plan.participants, compute.vectorLength, (id) => {
    const c = certificates.get(id);
    return c ? signingKeyOf(c) : undefined;
  });
  const expectedCiphertexts = Math.ceil(compute.vectorLength / params.polyModulusDegree);
  const request = (partyId: string, stage: NonNullable<RoundRequest['stage']> | 'compute'): Promise<RoundReply> => {
    const s = gateway.session(partyId);
    if (!s) throw new FedsynthError(ErrorCode.SourceUnavailable, `party ${partyId} is offline`);
    if (stage === 'compute') return requestCompute(s, { ...plan, compute });
    return s.request({ ...roundHead(plan), stage }, plan.timeoutMs);
  };
  const refusals: RoundOutcome['refusals'] = [];
  /**
   * One party's contribution: chunk 0 answers the compute stage, chunks 1..count-1 are pulled one
   * at a time (at most one chunk per party in flight). A refusal, timeout or malformed chunk drops
   * the party from the round (undefined).
   */
  const collect = async (partyId: string): Promise<HeContribution | undefined> => {
    const assembler = new HeChunkAssembler(plan.roundId, partyId, compute.vectorLength, expectedCiphertexts, maxChunkBytes);
    let stage: RoundReply['stage'];
    try {
      stage = (await request(partyId, 'compute')).stage;
    } catch (e) {
      rlog.warn({ partyId, err: (e as Error).message }, 'party dropped out of the HE round');
      return undefined;
    }
    try {
      for (let index = 0; ; ) {
        if (stage?.$case === 'refusal') {
          refusals.push({ partyId, code: stage.value.code, message: stage.value.message });
          rlog.warn({ partyId, code: stage.value.code }, `party refused: ${stage.value.message}`);
          return undefined;
        }
        if (stage?.$case !== 'heCiphertexts') throw new FedsynthError(ErrorCode.ProtocolViolation, `expected he_ciphertexts, got ${stage?.$case}`, { field: 'round_reply.stage' });
        const chunk = chunkFromWire(stage.value);
        // Pulled in order: a chunk other than the one asked for is a duplicate or a gap.
        if (chunk.index !== index) throw new FedsynthError(ErrorCode.ProtocolViolation, `asked for HE chunk ${index}, got chunk ${chunk.index}`, { partyId, field: 'he_ciphertexts.chunk_index' });
        assembler.add(chunk);
        index += 1;
        if (index >= assembler.chunkCount!) return assembler.contribution();
        stage = (await request(partyId, { $case: 'heEncrypt', value: { chunkIndex: index } })).stage;
      }
    } catch (e) {
      rlog.warn({ partyId, code: isFedsynthError(e) ? e.code : ErrorCode.Internal, err: (e as Error).message }, 'HE contribution refused; party treated as dropped');
      return undefined;
    }
  };
  try {
    // Each contribution is verified and added as soon as it is complete (the sum is order-independent).
    await Promise.all(
      plan.participants.map(async (partyId) => {
        const c = await collect(partyId);
        if (!c) return;
        try {
          aggregator.add(c);
        } catch (e) {
          rlog.warn({ partyId, code: isFedsynthError(e) ? e.code : ErrorCode.Internal, err: (e as Error).message }, 'HE contribution refused; party treated as dropped');
        }
      }),
    );
    const agg = aggregator.result();
    const survivors = agg.contributors;
    if (survivors.length < compute.threshold) {
      throw new FedsynthError(
        ErrorCode.TooFewSurvivors,
        `HE round ${plan.roundId}: ${survivors.length} valid contributions, at least ${compute.threshold} are needed` +
          (refusals.length ? `; refusals: ${refusals.map((r) => `${r.partyId} ${r.code}`).join(', ')}` : ''),
        { roundId: plan.roundId, survivors: survivors.length, refusals },
      );
    }
    // A custodian lost mid-decrypt (crash, network) is asked again, unchanged, once it is back: it
    // records each decryption before answering and returns the recorded sum to the identical
    // request, so nothing is decrypted twice and the parties are not asked again (no new charge).
    let sum: Float64Array | undefined;
    for (let attempt = 1; sum === undefined; attempt++) {
      try {
        sum = await custodian.decrypt(key.keyId, compute.threshold, { ...agg, chargeKey: compute.chargeKey }, plan.timeoutMs);
      } catch (e) {
        if (!isFedsynthError(e) || e.code !== ErrorCode.SourceUnavailable || attempt >= MAX_DECRYPT_ATTEMPTS) throw e;
        rlog.warn({ attempt, err: e.message }, 'key custodian unavailable during decryption; asking again with the same request when it is back');
      }
    }
    const kept = new Set(survivors);
    return { sum, survivors, dropped: plan.participants.filter((p) => !kept.has(p)), refusals };
  } finally {
    aggregator.dispose();
  }
}
