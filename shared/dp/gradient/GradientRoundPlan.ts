// GradientRoundPlan: the public parameters of one DP-SGD round of the gradient path (what the coordinator
// announces and each agent re-derives), and their checked re-derivation (KLS 2021 pipeline, integer units).
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';
import { paddedDimension } from './randomizedHadamard.js';
import { partySumSensitivity, roundedNormBound } from './roundedNormBound.js';

/**
 * Where randomized rounding happens:
 * - 'party-sum': each party rounds its clipped SUM once per round (one rotation, d random draws);
 *   sensitivity c + sqrt(d_pad) by the coupling argument (partySumSensitivity).
 * - 'record': each record's clipped gradient is rounded on its own with KLS 2021's conditional
 *   rounding and the party sums the integer vectors; sensitivity KLS's Delta_2 with beta
 *   (roundedNormBound), a rotation and d draws per record.
 * Both give record-level DP. With c = C / gamma >> sqrt(d_pad) (32-bit rings allow c ~ 1e6..1e7)
 * the two sensitivities differ by under 0.1%, so 'party-sum' is the default.
 */
export type RoundingUnit = 'party-sum' | 'record';

/** The public parameters of a round. Integer units: one unit = `gamma` model units. */
export interface GradientRoundPlan {
  readonly version: 1;
  /** d: number of model parameters (the gradient vector's length). */
  readonly dimension: number;
  /** Smallest power of two >= d (the rotation's length; every vector on the wire has this length). */
  readonly paddedDimension: number;
  /** Public seed of the rotation's signs; fresh per round (privacy does not depend on it). */
  readonly rotationSeed: string;
  /** C: the per-example L2 clip norm, model units. */
  readonly clipNorm: number;
  /** gamma: the granularity; a vector is scaled by 1/gamma before rounding. */
  readonly gamma: number;
  readonly rounding: RoundingUnit;
  /** KLS 2021's conditional-rounding parameter ('record'); 0 for 'party-sum'. */
  readonly beta: number;
  /** Delta_2 of one record's contribution in integer units (re-derived by every agent). */
  readonly sensitivity: number;
  /** q: each party Poisson-samples each of its rows with this probability per round. */
  readonly sampleRate: number;
  readonly parties: number;
  readonly colluders: number;
  readonly dropouts: number;
  /** parties - colluders - dropouts: the noise shares the accounting counts. */
  readonly honestMinParties: number;
  /** Variance parameter of each party's N_Z(0, sigma^2) share per coordinate, integer units. */
  readonly perPartySigma2: number;
  /** The secure-aggregation ring Z_2^bits (shared/secagg RoundConfig.modulusBits). */
  readonly bits: 32 | 64;
}

/** The integer-unit sensitivity for clip norm C, granularity gamma, padded length and rounding unit. */
export function gradientSensitivity(clipNorm: number, gamma: number, padded: number, rounding: RoundingUnit, beta: number): number {
  const c = checkPrivacyNumber(clipNorm, 'clipNorm', true) / checkPrivacyNumber(gamma, 'gamma', true);
  return rounding === 'record' ? roundedNormBound(c, padded, beta) : partySumSensitivity(c, padded);
}

/**
 * Number of coordinates in which two integer vectors at L2 distance <= Delta can differ: at most
 * Delta^2 (each differing coordinate differs by >= 1) and at most d_pad. KLS 2021's tau term
 * scales with it (rhoOfDistributedGaussian's l1Sensitivity argument).
 */
export function differingCoordinates(sensitivity: number, padded: number): number {
  return Math.min(padded, Math.floor(sensitivity * sensitivity));
}

function bad(msg: string, details: Record<string, unknown> = {}): never {
  throw new FedsynthError(ErrorCode.ProtocolViolation, `gradient round plan: ${msg}`, details);
}

/**
 * Checks every field of an announced plan and re-derives the dependent ones (padded length,
 * sensitivity, honest parties) from the primitive ones. An announced sensitivity below the
 * re-derived one, or any inconsistent field, is a PROTOCOL_VIOLATION. The returned plan carries the
 * re-derived values; charge gradientRoundLoss of THAT plan. (Whether colluders and dropouts meet
 * the party's own terms is the spec check of the agent, not this function's.)
 */
export function rederiveGradientRoundPlan(p: GradientRoundPlan): GradientRoundPlan {
  if (p.version !== 1) bad(`unknown version ${String(p.version)}`);
  if (p.rounding !== 'party-sum' && p.rounding !== 'record') bad(`unknown rounding unit ${String(p.rounding)}`);
  if (p.bits !== 32 && p.bits !== 64) bad(`bits must be 32 or 64, got ${String(p.bits)}`);
  if (typeof p.rotationSeed !== 'string' || p.rotationSeed.length === 0) bad('rotationSeed must be a non-empty string');
  if (!(p.sampleRate > 0 && p.sampleRate <= 1)) bad(`sampleRate must be in (0, 1], got ${p.sampleRate}`);
  if (!(p.perPartySigma2 >= 0.25 && Number.isFinite(p.perPartySigma2))) bad(`perPartySigma2 must be finite and >= 1/4 (KLS 2021), got ${p.perPartySigma2}`);
  if (p.rounding === 'party-sum' ? p.beta !== 0 : !(p.beta > 0 && p.beta < 1)) bad(`beta ${p.beta} does not fit rounding ${p.rounding}`);
  for (const [k, v] of [['parties', p.parties], ['colluders', p.colluders], ['dropouts', p.dropouts]] as const) {
    if (!Number.isInteger(v) || v < 0) bad(`${k} must be an integer >= 0, got ${v}`);
  }
  const honest = p.parties - p.colluders - p.dropouts;
  if (honest < 1) bad('no honest surviving party', { parties: p.parties, colluders: p.colluders, dropouts: p.dropouts });
  if (p.honestMinParties !== honest) bad(`honestMinParties ${p.honestMinParties} is not parties - colluders - dropouts = ${honest}`);
  const padded = paddedDimension(p.dimension);
  if (p.paddedDimension !== padded) bad(`paddedDimension ${p.paddedDimension} is not ${padded}`);
  const sensitivity = gradientSensitivity(p.clipNorm, p.gamma, padded, p.rounding, p.beta);
  if (!(p.sensitivity >= sensitivity * (1 - 1e-12))) bad(`announced sensitivity ${p.sensitivity} is below the re-derived ${sensitivity}`, { announced: p.sensitivity, derived: sensitivity });
  return { ...p, paddedDimension: padded, sensitivity: Math.max(p.sensitivity, sensitivity), honestMinParties: honest };
}
