// planGradientRound: calibrates a training's per-round plan: noise from (epsilon, delta, q, rounds) by
// the charged accountant, granularity gamma so a party's vector fits the secure-aggregation ring.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkDelta, checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';
import { noiseMultiplierFor } from '../accounting/noiseMultiplierFor.js';
import { repeatLoss } from '../accounting/PrivacyLoss.js';
import { epsilonFromLoss } from '../accounting/rdpConversion.js';
import { planDistributedGaussian } from '../distributed/planDistributedGaussian.js';
import { differingCoordinates, gradientSensitivity, type GradientRoundPlan, type RoundingUnit } from './GradientRoundPlan.js';
import { gradientRoundLoss, gradientRoundRho } from './gradientRoundLoss.js';
import { paddedDimension } from './randomizedHadamard.js';

export interface GradientPlanRequest {
  readonly dimension: number;
  readonly clipNorm: number;
  readonly sampleRate: number;
  /** Rounds the whole training may run; the (epsilon, delta) target covers all of them. */
  readonly rounds?: number;
  readonly epsilon?: number;
  readonly delta?: number;
  /**
   * A fixed noise multiplier z (total honest noise std / sensitivity, rho = 1/(2 z^2) per round)
   * instead of calibrating it from (epsilon, delta, rounds); e.g. for benchmarks. Exactly one of
   * the two must be given.
   */
  readonly noiseMultiplier?: number;
  readonly parties: number;
  readonly colluders: number;
  readonly dropouts: number;
  readonly bits: 32 | 64;
  readonly rotationSeed: string;
  /**
   * Expected number of sampled records per round over all parties (q times the announced total
   * rows). Public; it sizes gamma only (utility: the ring must hold the sum), never the privacy.
   */
  readonly expectedBatchSize: number;
  readonly rounding?: RoundingUnit;
  /** KLS 2021 conditional-rounding beta for 'record' (default e^-0.5, as in their experiments). */
  readonly beta?: number;
  /** A fixed gamma instead of the one fitted to the ring. */
  readonly gamma?: number;
  /** Probability that some coordinate of some party's vector exceeds its ring share (default 1e-9). */
  readonly overflowProbability?: number;
  /**
   * Largest relative growth of the sensitivity caused by rounding, Delta_2 / c - 1 (default 0.01).
   * gamma is the coarsest granularity meeting it (or the finest the ring allows, if coarser): a
   * finer gamma buys nothing once rounding is negligible and makes the integer noise larger, and
   * the exact sampler's cost grows with sigma.
   */
  readonly roundingOverhead?: number;
}

/**
 * Largest per-party |value| a round may carry: floor((2^(bits-1) - 1) / parties), the default
 * maxAbsValue of shared/secagg RoundConfig, under which n parties' sum can never wrap.
 */
export function ringShareBound(bits: 32 | 64, parties: number): number {
  return Math.floor((2 ** (bits - 1) - 1) / parties);
}

/**
 * With probability >= 1 - p, every coordinate of every party's vector lies within
 *   B c sqrt(2L / d_pad) + r + sigma_p sqrt(2L),   L = log(4 n d_pad / p),
 * where B bounds the records in one party's batch (the whole round's batch, Poisson tail
 * E + 7 sqrt(E) + 7), c = C / gamma, r the rounding error (< 1 per rounded vector), sigma_p the
 * share's standard deviation: (H D x)_i is a Rademacher sum with coefficients of size |x_j|/sqrt(d_pad),
 * Hoeffding gives P(|(HDx)_i| > t) <= 2 exp(-t^2 d_pad / (2 ||x||^2)) (KLS 2021, Lemma 29 flatness),
 * and the discrete Gaussian is sigma^2-subgaussian (CKS 2020); union over coordinates and parties.
 */
function partyValueBound(c: number, sigma2: number, padded: number, batch: number, rounding: RoundingUnit, parties: number, p: number): number {
  const L = Math.log((4 * parties * padded) / p);
  const roundingError = rounding === 'record' ? batch : 1;
  return batch * c * Math.sqrt((2 * L) / padded) + roundingError + Math.sqrt(sigma2 * 2 * L);
}

/**
 * The plan of every round of a training: z = noiseMultiplierFor(epsilon, delta, q, rounds) under
 * the charged bound (subsampledZcdpLoss on a rho-zCDP base), rho = 1/(2 z^2) per round; gamma the coarsest
 * granularity (smallest c = C/gamma) whose rounding overhead is <= roundingOverhead, or the finest
 * whose party vectors fit ringShareBound with the stated probability if that is coarser; the per-party variance the least one whose KLS 2021 rho is <= 1/(2 z^2)
 * (planDistributedGaussian over the honest survivors). The result is re-checked:
 * epsilonFromLoss(rounds x gradientRoundLoss(plan)) <= epsilon. Per round, only rotationSeed changes.
 */
export function planGradientRound(req: GradientPlanRequest): GradientRoundPlan {
  const target = req.noiseMultiplier === undefined;
  if (target === (req.epsilon === undefined || req.delta === undefined || req.rounds === undefined)) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'give either (epsilon, delta, rounds) or noiseMultiplier', { parameter: 'noiseMultiplier' });
  }
  const clipNorm = checkPrivacyNumber(req.clipNorm, 'clipNorm', true);
  const rounding = req.rounding ?? 'party-sum';
  const beta = rounding === 'record' ? (req.beta ?? Math.exp(-0.5)) : 0;
  const padded = paddedDimension(req.dimension);
  const honest = req.parties - req.colluders - req.dropouts;
  if (!Number.isInteger(req.parties) || honest < 1) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'no honest surviving party', { parties: req.parties });
  const batchMean = checkPrivacyNumber(req.expectedBatchSize, 'expectedBatchSize');
  const batch = batchMean + 7 * Math.sqrt(batchMean) + 7;
  const z = target
    ? noiseMultiplierFor({ epsilon: checkPrivacyNumber(req.epsilon, 'epsilon', true), delta: checkDelta(req.delta), sampleRate: req.sampleRate, steps: req.rounds ?? 0 })
    : checkPrivacyNumber(req.noiseMultiplier, 'noiseMultiplier', true);
  const rho = 1 / (2 * z * z);
  const sigma2For = (sens: number): number =>
    planDistributedGaussian({ rho, l2Sensitivity: sens, l1Sensitivity: differingCoordinates(sens, padded), parties: req.parties, colluders: req.colluders, dropouts: req.dropouts }).perPartySigma2;
  let gamma = req.gamma;
  if (gamma === undefined) {
    const limit = ringShareBound(req.bits, req.parties);
    const p = req.overflowProbability ?? 1e-9;
    // Estimate of sigma^2 at c (tau negligible at the sizes that fit): z^2 Delta^2 / n_h, 1% margin.
    const fits = (c: number): boolean => {
      const sens = rounding === 'record' ? gradientSensitivity(c, 1, padded, 'record', beta) : gradientSensitivity(c, 1, padded, 'party-sum', 0);
      return partyValueBound(c, (1.01 * z * z * sens * sens) / honest, padded, batch, rounding, req.parties, p) <= limit;
    };
    let lo = 0;
    let hi = 1;
    while (fits(hi)) hi *= 2;
    for (let i = 0; i < 100 && hi - lo > 1e-9 * hi; i++) {
      const mid = (lo + hi) / 2;
      if (fits(mid)) lo = mid;
      else hi = mid;
    }
    if (!(lo > 0)) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `no granularity fits a ${req.bits}-bit ring for these parameters`, { bits: req.bits });
    // The smallest c whose rounding overhead is within the target (Delta_2(c) / c is decreasing in c).
    const overhead = checkPrivacyNumber(req.roundingOverhead ?? 0.01, 'roundingOverhead', true);
    const within = (c: number): boolean => gradientSensitivity(c, 1, padded, rounding, beta) <= c * (1 + overhead);
    let a = 0;
    let b = 1;
    while (!within(b)) b *= 2;
    for (let i = 0; i < 100 && b - a > 1e-9 * b; i++) {
      const mid = (a + b) / 2;
      if (within(mid)) b = mid;
      else a = mid;
    }
    gamma = clipNorm / Math.min(lo, b);
  }
  const sensitivity = gradientSensitivity(clipNorm, gamma, padded, rounding, beta);
  const plan: GradientRoundPlan = {
    version: 1,
    dimension: req.dimension,
    paddedDimension: padded,
    rotationSeed: req.rotationSeed,
    clipNorm,
    gamma,
    rounding,
    beta,
    sensitivity,
    sampleRate: req.sampleRate,
    parties: req.parties,
    colluders: req.colluders,
    dropouts: req.dropouts,
    honestMinParties: honest,
    perPartySigma2: sigma2For(sensitivity),
    bits: req.bits,
  };
  if (target) {
    const epsilon = req.epsilon ?? 0;
    const achieved = epsilonFromLoss(repeatLoss(gradientRoundLoss(plan), req.rounds ?? 0), checkDelta(req.delta));
    if (!(achieved <= epsilon)) throw new FedsynthError(ErrorCode.Internal, 'planGradientRound: verification failed', { achieved, epsilon });
  } else if (!(gradientRoundRho(plan) <= rho)) {
    throw new FedsynthError(ErrorCode.Internal, 'planGradientRound: verification failed', { rho });
  }
  return plan;
}
