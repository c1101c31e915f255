// gradientContribution: the party's answer to a gradient round (mechanism dpsgd): verify the plan,
// charge its RDP loss BEFORE computing, Poisson-sample rows, clip, discretize, add its noise share.
import { uniformFloat } from '../../shared/dp/random/uniform.js';
import type { RandomSource } from '../../shared/dp/random/RandomSource.js';
import { discretizeClippedSum, addGradientNoiseShare } from '../../shared/dp/gradient/discretizeClippedSum.js';
import type { GradientRoundPlan } from '../../shared/dp/gradient/GradientRoundPlan.js';
import { plainGradientRoundLoss } from '../../shared/dp/gradient/gradientRoundLoss.js';
import { clippedGradientSum } from '../../shared/neural/clippedGradientSum.js';
import { selectTabularRows } from '../../shared/neural/trainVae.js';
import type { TabularRows } from '../../shared/neural/TabularEncoding.js';
import { modelDimension, vaeSpecForStudy } from '../../shared/synth/dpsgdModel.js';
import { encodeIntVector } from '../../shared/wire/intVectorCodec.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { trainingRowsOf } from '../data/trainingRows.js';
import { bindRound, roundTermsOf } from '../verification/RoundBinding.js';
import { verifyRoundSafety } from '../verification/RoundSafety.js';
import { verifyGradientRound } from '../verification/GradientVerification.js';
import type { ApprovedStudy, ComputeContext } from './ComputeContext.js';
import { releaseCapRho } from './releaseRho.js';

/**
 * Poisson sampling at rate q with the party's CSPRNG: row i joins iff u_i < q', u_i uniform on the
 * multiples of 2^-53 in [0, 1) and q' = floor(q 2^53) / 2^53 <= q, so each row joins independently
 * with probability exactly q' (never above the accounted q).
 */
export function poissonSampleExact(rows: TabularRows, q: number, rng: RandomSource): TabularRows {
  const qFloor = Math.floor(q * 2 ** 53) / 2 ** 53;
  const idx: number[] = [];
  for (let i = 0; i < rows.rows; i++) if (uniformFloat(rng) < qFloor) idx.push(i);
  return selectTabularRows(rows, idx);
}

/**
 * Returns the noisy vector's wire encoding, re-sent unchanged for a charge key already released
 * (crash-resume: no second charge, no fresh noise, no recomputation).
 */
export async function gradientContribution(
  ctx: ComputeContext,
  study: ApprovedStudy,
  roundId: string,
  stage: ComputeStage,
  query: { round: number; weights: Float32Array; plan: GradientRoundPlan },
): Promise<{ noisy: Uint8Array; elementBits: number }> {
  if (study.training === undefined) throw new FedsynthError(ErrorCode.ProtocolViolation, `study ${study.studyId} is not a dpsgd study`, { field: 'compute.query' });
  const spec = vaeSpecForStudy(study.training, ctx.domain, study.schemaJson ?? '');
  const capRho = releaseCapRho(study);
  const { plan, loss } = verifyGradientRound({ ...study, capRho, delta: study.delta ?? 1e-9 }, stage, query, modelDimension(spec));
  verifyRoundSafety(study, stage);
  bindRound(ctx.store, study.studyId, stage.chargeKey, roundTermsOf(roundId, stage));
  const previous = ctx.store.release(stage.chargeKey);
  if (previous) {
    if (previous.sigma2 < plan.perPartySigma2) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, `retry of ${stage.chargeKey} needs more noise (${plan.perPartySigma2}) than was released (${previous.sigma2})`, { field: 'compute.charge_key' });
    }
    ctx.log.info({ studyId: study.studyId, roundId, chargeKey: stage.chargeKey }, 're-sending the gradient vector already released for this charge key');
    return previous;
  }
  const rows = await trainingRowsOf(ctx.source, ctx.trainingRows, spec.encoding);
  // Charged (durably, idempotent per key) before anything is computed or sent.
  // Plain mode: the coordinator sees this vector with only its own noise share; charge that (finding 6).
  const charged = stage.aggregation === 'plain' ? plainGradientRoundLoss(plan) : loss;
  ctx.ledger.charge({ studyId: study.studyId, idempotencyKey: stage.chargeKey, rho: 0, rdp: charged.rdp, label: stage.label, studyCapRho: capRho });
  const rng = ctx.noiseRng;
  const batch = poissonSampleExact(rows, plan.sampleRate, rng);
  const clipped = await clippedGradientSum(spec, query.weights, batch, plan.clipNorm, rng);
  const integers = discretizeClippedSum(clipped.sum, plan, rng);
  clipped.sum.fill(0);
  const noisy = addGradientNoiseShare(integers, plan, rng);
  integers.fill(0);
  const enc = encodeIntVector(noisy);
  ctx.log.info({ studyId: study.studyId, roundId, label: stage.label, round: query.round, entries: plan.paddedDimension }, 'released a noisy gradient contribution');
  return ctx.store.recordRelease(stage.chargeKey, study.studyId, roundId, enc.bytes, enc.elementBits, plan.perPartySigma2);
}
