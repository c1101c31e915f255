// discretizeClippedSum: a party's side of the KLS 2021 pipeline: rotate (public seed), scale by
// 1/gamma, round to integers (per party sum or per record), then add its discrete Gaussian share.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import type { RandomSource } from '../random/RandomSource.js';
import { distributedDiscreteGaussian } from '../mechanisms/distributedDiscreteGaussian.js';
import { rederiveGradientRoundPlan, type GradientRoundPlan } from './GradientRoundPlan.js';
import { rotate } from './randomizedHadamard.js';
import { conditionalRandomizedRound, randomizedRound, squaredNorm } from './randomizedRounding.js';

function rotatedScaled(v: Float64Array, plan: GradientRoundPlan): Float64Array {
  if (v.length !== plan.dimension) throw new FedsynthError(ErrorCode.InvalidArgument, `gradient has length ${v.length}, the plan ${plan.dimension}`);
  const y = rotate(v, plan.rotationSeed);
  const s = 1 / plan.gamma;
  for (let i = 0; i < y.length; i++) y[i] *= s;
  return y;
}

/**
 * 'party-sum' rounding: the party's sum of per-example gradients, each clipped to L2 norm <= C
 * (shared/neural), becomes round(H D sum / gamma), an integer vector of length paddedDimension,
 * by one unconditional randomized rounding (randomizedRound; the sensitivity argument is in
 * roundedNormBound.partySumSensitivity). Random bits from `rng` (the CSPRNG in production).
 */
export function discretizeClippedSum(sum: Float64Array, plan: GradientRoundPlan, rng: RandomSource): Float64Array {
  const p = rederiveGradientRoundPlan(plan);
  if (p.rounding !== 'party-sum') throw new FedsynthError(ErrorCode.InvalidArgument, `the plan rounds per ${p.rounding}: use discretizeClippedRecord`);
  return randomizedRound(rotatedScaled(sum, p), rng);
}

/**
 * 'record' rounding: ONE record's clipped gradient (||g||_2 <= C, checked: the sensitivity depends
 * on it) becomes a conditionally rounded integer vector with ||.||_2 <= plan.sensitivity
 * (KLS 2021, Prop. 22 / Thm 1); the party adds these integer vectors (exactly, in a Float64Array).
 */
export function discretizeClippedRecord(gradient: Float64Array, plan: GradientRoundPlan, rng: RandomSource): Float64Array {
  const p = rederiveGradientRoundPlan(plan);
  if (p.rounding !== 'record') throw new FedsynthError(ErrorCode.InvalidArgument, `the plan rounds per ${p.rounding}: use discretizeClippedSum`);
  const n2 = squaredNorm(gradient);
  if (!(n2 <= p.clipNorm * p.clipNorm * (1 + 1e-12))) {
    throw new FedsynthError(ErrorCode.InvalidData, 'a record gradient exceeds the clip norm', { norm: Math.sqrt(n2), clipNorm: p.clipNorm });
  }
  return conditionalRandomizedRound(rotatedScaled(gradient, p), p.sensitivity, rng);
}

/**
 * The party's release before masking: its integer vector plus an exact N_Z(0, perPartySigma2)
 * draw per coordinate, through the one noise mechanism of fedsynth (distributedDiscreteGaussian,
 * CKS 2020 Alg. 3 sampler); no second sampler.
 */
export function addGradientNoiseShare(integers: Float64Array, plan: GradientRoundPlan, rng: RandomSource): Float64Array {
  const p = rederiveGradientRoundPlan(plan);
  if (integers.length !== p.paddedDimension) throw new FedsynthError(ErrorCode.InvalidArgument, `integer vector has length ${integers.length}, expected ${p.paddedDimension}`);
  return distributedDiscreteGaussian({ parties: p.parties, colluders: p.colluders, dropouts: p.dropouts, perPartySigma2: p.perPartySigma2 }).invoke(integers, rng);
}
