// decodeNoisySum: the coordinator's side of the KLS 2021 pipeline: the aggregate integer sum (unwrapped
// from the ring) is unscaled by gamma and unrotated, giving the noisy sum of clipped gradients.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import type { SignedSum } from '../../secagg/ModularVector.js';
import { rederiveGradientRoundPlan, type GradientRoundPlan } from './GradientRoundPlan.js';
import { unrotate } from './randomizedHadamard.js';
import { unwrapRingSum } from './ringWrap.js';

/**
 * gamma (D H) y truncated to `dimension`, for the aggregate y (ring residues, a decoded SignedSum,
 * or plain integers). Error against the true sum S of the parties' clipped sums, 'party-sum'
 * rounding, n parties, no noise: the rounding errors e_p have |e_p,i| < 1, the rotation is
 * orthogonal and truncation only drops coordinates, so ||decoded - S||_2 <= gamma ||sum_p e_p||_2
 * < gamma n sqrt(paddedDimension) (deterministic; 'record' rounding: n replaced by the number of
 * records). With noise the decoded vector adds gamma D H N, N the summed discrete Gaussian shares:
 * per coordinate variance <= gamma^2 (survivors * perPartySigma2 + n/4).
 */
export function decodeNoisySum(sum: Uint32Array | SignedSum | Float64Array, plan: GradientRoundPlan): Float64Array {
  const p = rederiveGradientRoundPlan(plan);
  const ints = sum instanceof Float64Array ? sum : unwrapRingSum(sum, p.bits);
  if (ints.length !== p.paddedDimension) throw new FedsynthError(ErrorCode.InvalidArgument, `aggregate has length ${ints.length}, expected ${p.paddedDimension}`);
  const out = unrotate(ints, p.rotationSeed, p.dimension);
  for (let i = 0; i < out.length; i++) out[i] *= p.gamma;
  return out;
}
