// ComputeHandler: the party's side of a round's compute stage — check the request against the
// study it approved, verify the noise plan itself, charge the ledger BEFORE anything leaves,
// evaluate the query on local rows, add this party's share of discrete Gaussian noise.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { distributedDiscreteGaussian, planDistributedDiscreteGaussian } from '../../shared/dp/mechanisms/distributedDiscreteGaussian.js';
import { evaluateLocalQuery } from '../../shared/synth/evaluateLocalQuery.js';
import { localQueryLength, localQuerySensitivity, validateLocalQuery, type LocalQuery } from '../../shared/synth/LocalQuery.js';
import { encodeIntVector } from '../../shared/wire/intVectorCodec.js';
import { decodeLocalQuery } from '../../platform/wire/localQueryWire.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { bindRound, roundTermsOf } from '../verification/RoundBinding.js';
import { verifyRoundSafety } from '../verification/RoundSafety.js';
import { verifyRoundMode } from '../verification/RoundMode.js';
import { releaseCapRho, releaseRho } from './releaseRho.js';
import { isCountedQuery, type PreparedQuery } from './LocalQueryThread.js';
import type { ApprovedStudy, ComputeContext } from './ComputeContext.js';

/**
 * Returns the noisy vector's wire encoding (re-sent unchanged on a retried charge key). `query`
 * is the whole encoded LocalQuery (stage.query, or the chunks assembled with it).
 */
export async function handleCompute(
  ctx: ComputeContext,
  study: ApprovedStudy,
  roundId: string,
  stage: ComputeStage,
  queryBytes: Uint8Array = stage.query,
): Promise<{ noisy: Uint8Array; elementBits: number }> {
  verifyRoundMode(study, stage); // AGGREGATION_MODE_MISMATCH: only the approved mode (or one the policy allows)
  if (!stage.chargeKey.startsWith(`${study.studyId}/`)) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `charge_key must start with the study id`, { field: 'compute.charge_key' });
  }
  const invalid = (message: string): FedsynthError => new FedsynthError(ErrorCode.ProtocolViolation, `compute.query is not a valid query: ${message}`, { field: 'compute.query' });
  let query: LocalQuery;
  try {
    query = decodeLocalQuery(queryBytes, ctx.domain);
  } catch (e) {
    throw invalid((e as Error).message);
  }
  // A large counted query goes to the query thread, which validates it there (a model-carrying query
  // rebuilds its model: seconds at 40 columns); a small one is answered here.
  const offThread = ctx.queries !== undefined && isCountedQuery(query.kind) && ctx.queries.wants(query, await ctx.source.rowCount());
  if (!offThread) {
    try {
      validateLocalQuery(query, ctx.domain);
    } catch (e) {
      throw invalid((e as Error).message);
    }
  }
  let prepared: PreparedQuery | undefined;
  if (offThread && ctx.queries !== undefined) {
    const p = await ctx.queries.prepare(queryBytes, ctx.domain, ctx.source);
    if (!p.ok) throw invalid(p.message);
    prepared = p.query;
  }
  try {
    return await computeValidated(ctx, study, roundId, stage, query, prepared);
  } finally {
    prepared?.discard();
  }
}

/** handleCompute after the query was decoded and validated (`prepared`: on the query thread). */
async function computeValidated(
  ctx: ComputeContext,
  study: ApprovedStudy,
  roundId: string,
  stage: ComputeStage,
  query: LocalQuery,
  prepared: PreparedQuery | undefined,
): Promise<{ noisy: Uint8Array; elementBits: number }> {
  const length = localQueryLength(query, ctx.domain);
  if (length !== stage.vectorLength) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `compute.vector_length ${stage.vectorLength} does not match the query (${length})`, { field: 'compute.vector_length' });
  }
  // A gradient round (mechanism dpsgd) is charged an RDP curve of ITS re-derived plan, not stage.rho.
  // Loaded on the first gradient round (it brings TensorFlow.js: an agent of other studies starts without it).
  if (query.kind === 'gradientStep') return (await import('./gradientContribution.js')).gradientContribution(ctx, study, roundId, stage, query);
  // A dpsgd study asks gradient rounds and noisy 1-way marginals (row count and warm start: shared/synth/Dpsgd.ts).
  if (study.training !== undefined && !(query.kind === 'marginals' && (query.recode?.length ?? 0) === 0 && query.attrSets.every((s) => s.length === 1))) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `study ${study.studyId} is a dpsgd study: only gradient rounds and 1-way marginals are answered`, { field: 'compute.query' });
  }
  // The pooled risk round (post-delivery): only for a study approved with that reservation, and never above it.
  // Counted on the query thread when prepared there (the same pure evaluateLocalQuery of the same bytes); the noise below is drawn here, as before.
  const answer = query.kind === 'riskCounts' ? preparePooledRisk(ctx, study, stage, query) : () => (prepared !== undefined ? prepared.answer() : evaluateLocalQuery(query, ctx.source, ctx.domain));
  if (!(stage.rho > 0) || !Number.isFinite(stage.rho) || stage.rho > study.studyRho) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `compute.rho ${stage.rho} is not in (0, study rho ${study.studyRho}]`, { field: 'compute.rho' });
  }
  const participants = stage.participants.length;
  if (participants < 1 || participants > study.parties.length) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `compute.participants has ${participants} parties; the study has ${study.parties.length}`, { field: 'compute.participants' });
  }
  // The agent re-derives the noise it must add: the coordinator cannot talk it into less.
  const l2 = localQuerySensitivity(query) * study.maxSilosPerIndividual;
  const shape = { parties: participants, colluders: study.colluders, dropouts: study.dropouts };
  const plan = planDistributedDiscreteGaussian({ rho: stage.rho, l2Sensitivity: l2, ...shape });
  if (!(stage.perPartySigma2 >= plan.perPartySigma2 * (1 - 1e-9))) {
    throw new FedsynthError(
      ErrorCode.ProtocolViolation,
      `compute.per_party_sigma2 ${stage.perPartySigma2} is below what rho ${stage.rho} requires (${plan.perPartySigma2})`,
      { field: 'compute.per_party_sigma2' },
    );
  }
  // The threshold and graph must suit the plan (and k the party's own floor); the key is bound to this one round (or refused).
  verifyRoundSafety(study, stage);
  bindRound(ctx.store, study.studyId, stage.chargeKey, roundTermsOf(roundId, stage));
  const previous = ctx.store.release(stage.chargeKey);
  if (previous) {
    // The identical round again (crash-resume): re-send the SAME noisy vector (fresh noise would
    // leak more), but only if it carries at least the noise this request requires.
    if (previous.sigma2 < plan.perPartySigma2 * (1 - 1e-9)) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, `retry of ${stage.chargeKey} needs more noise (${plan.perPartySigma2}) than was released (${previous.sigma2})`, { field: 'compute.charge_key' });
    }
    ctx.log.info({ studyId: study.studyId, roundId, chargeKey: stage.chargeKey }, 're-sending the noisy vector already released for this charge key');
    return previous;
  }
  // Charge first (idempotent per key), then compute and record, then send.
  ctx.ledger.charge({ studyId: study.studyId, idempotencyKey: stage.chargeKey, rho: releaseRho(stage, l2), label: stage.label, studyCapRho: releaseCapRho(study) });
  await ctx.delayAt?.('compute.evaluate');
  const exact = await answer();
  const noisy = distributedDiscreteGaussian({ ...shape, perPartySigma2: stage.perPartySigma2 }).invoke(exact, ctx.noiseRng);
  exact.fill(0);
  const enc = encodeIntVector(noisy);
  ctx.log.info({ studyId: study.studyId, roundId, label: stage.label, rho: stage.rho, cells: length }, 'released a noisy contribution');
  return ctx.store.recordRelease(stage.chargeKey, study.studyId, roundId, enc.bytes, enc.elementBits, stage.perPartySigma2);
}

/**
 * A `riskCounts` round (shared/eval/risk/pooledRiskCounts) is answered only for a study this party
 * approved with a pooled risk reservation, at no more than that reservation, and only over the
 * synthetic data it was delivered (PooledRiskContribution.prepare). Everything else (sensitivity
 * pooledRiskSensitivity from this party's own domain, the noise plan, threshold and SecAgg+ graph, the charge)
 * is checked by handleCompute as for any round.
 */
function preparePooledRisk(ctx: ComputeContext, study: ApprovedStudy, stage: ComputeStage, query: Extract<LocalQuery, { kind: 'riskCounts' }>): () => Promise<Float64Array> {
  const reserved = study.evaluationRho ?? 0;
  if (!(reserved > 0)) {
    throw new FedsynthError(ErrorCode.PolicyRefused, `study ${study.studyId} was approved without a pooled risk release`, { field: 'compute.query' });
  }
  if (!(stage.rho <= reserved * (1 + 1e-12))) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, `compute.rho ${stage.rho} is above the study's pooled risk reservation ${reserved}`, { field: 'compute.rho' });
  }
  if (!ctx.pooledRisk) throw new FedsynthError(ErrorCode.PolicyRefused, 'this agent does not answer pooled risk rounds', { field: 'compute.query' });
  return ctx.pooledRisk.prepare(study.studyId, study.schemaJson ?? '', query);
}
