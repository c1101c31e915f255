// SurvivorThreshold: the smallest survivor threshold t a round may use, tied to the noise plan
// (Kairouz-Liu-Steinke 2021) and, for masking, to the signed consistency check (Bonawitz et al. 2017).
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** The public facts of a round its threshold is judged against (all from the party's own view). */
export interface SurvivorRisk {
  /** n: the round's participants. */
  parties: number;
  /** t: survivors the round needs (ComputeStage.threshold). */
  threshold: number;
  /** f: parties the approved study allows to collude with the coordinator. */
  colluders: number;
  /** d: parties whose noise the approved study allows to be missing. */
  dropouts: number;
}

/** Aggregation modes whose released sum depends on the threshold (plain releases every vector). */
export type ThresholdedAggregation = 'masking' | 'he';

/**
 * The smallest safe t for `risk` in `mode`:
 * - noise plan: planDistributedGaussian sizes each share so that any n - f - d honest shares give
 *   rho. A released sum holds at least t - f honest shares, so t - f >= n - f - d, i.e. t >= n - d
 *   (KLS 2021 Prop. 14 is applied to n - f - d summands; fewer summands means more than rho).
 * - masking, signed consistency check: every survivor signs the set U3 it saw, and a party reveals
 *   shares only after t valid signatures over the SAME U3 (and, per charge key, only for the U3 it
 *   signed first: party-agent/verification/RoundBinding). Two sets of t signers out of n share at
 *   least 2t - n parties; 2t - n > f puts an honest party, who signs one set only, in every pair, so
 *   a coordinator with f colluders can never get two survivor sets signed for one contribution
 *   (the quorum argument behind Bonawitz et al.'s active-adversary bound, t > 2n/3 with fewer than
 *   n/3 corrupt clients being its instance f = n/3). Without it, it could split the honest parties
 *   between two survivor sets and subtract the sums.
 * - masking needs t >= 2 (Shamir), HE t >= 1; t never exceeds n.
 */
export function minSurvivorThreshold(risk: Omit<SurvivorRisk, 'threshold'>, mode: ThresholdedAggregation): number {
  const { parties: n, colluders: f, dropouts: d } = risk;
  const plan = n - d;
  const quorum = mode === 'masking' ? Math.floor((n + f) / 2) + 1 : 1;
  return Math.max(mode === 'masking' ? 2 : 1, plan, quorum);
}

/** Why `risk.threshold` is unsafe in `mode`, or undefined when it is safe. */
export function survivorThresholdShortfall(risk: SurvivorRisk, mode: ThresholdedAggregation): string | undefined {
  const { parties: n, threshold: t, colluders: f, dropouts: d } = risk;
  for (const [name, v] of [['parties', n], ['threshold', t], ['colluders', f], ['dropouts', d]] as const) {
    if (!Number.isInteger(v) || v < 0) return `${name} must be a non-negative integer, got ${v}`;
  }
  if (t > n) return `threshold t = ${t} exceeds the ${n} participants`;
  if (n - f - d < 1) return `no honest survivor is left: n = ${n}, f = ${f}, d = ${d}`;
  if (t < n - d) {
    return `threshold t = ${t} is below n - d = ${n - d}: a released sum could hold fewer than the n - f - d = ${n - f - d} honest noise shares the noise plan assumes`;
  }
  const min = minSurvivorThreshold(risk, mode);
  if (t < min) {
    return mode === 'masking'
      ? `threshold t = ${t} is below ${min}: with f = ${f} colluders two survivor sets could each gather t consistency signatures (needs 2t - n > f)`
      : `threshold t = ${t} is below ${min}`;
  }
  return undefined;
}

/** Throws THRESHOLD_BELOW_PLAN (field compute.threshold) unless `risk.threshold` is safe in `mode`. */
export function assertSurvivorThreshold(risk: SurvivorRisk, mode: ThresholdedAggregation): void {
  const why = survivorThresholdShortfall(risk, mode);
  if (why !== undefined) {
    throw new FedsynthError(ErrorCode.ThresholdBelowPlan, `round refused: ${why}`, {
      field: 'compute.threshold',
      threshold: risk.threshold,
      required: minSurvivorThreshold(risk, mode),
      parties: risk.parties,
    });
  }
}

/**
 * The threshold an honest coordinator asks of a round of n participants: at least the study's
 * min_parties and, for masking and HE, minSurvivorThreshold; plain keeps max(min_parties, n - d).
 */
export function roundThreshold(risk: Omit<SurvivorRisk, 'threshold'>, minParties: number, mode: ThresholdedAggregation | 'plain'): number {
  const floor = mode === 'plain' ? Math.max(risk.parties - risk.dropouts, 1) : minSurvivorThreshold(risk, mode);
  return Math.max(minParties, floor);
}
