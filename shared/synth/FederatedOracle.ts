// FederatedOracle: the only way a synthesis mechanism reaches the parties' data.
// Every answer is a securely aggregated sum of per-party answers with distributed DP noise.
import type { Domain } from '../pgm/Domain.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { AttributeRecode, LocalQuery } from './LocalQuery.js';
import { recodedSizes, cellsOf } from './LocalQuery.js';
import type { GradientRoundPlan } from '../dp/gradient/GradientRoundPlan.js';
import type { GradientPlanRequest } from '../dp/gradient/planGradientRound.js';

/**
 * One DP-SGD round asked of the consortium: the current weights and the training's plan terms; the
 * oracle fills in the consortium's parties, colluders and dropouts.
 */
export interface GradientStepRequest {
  /** 1-based round of the training. */
  readonly round: number;
  readonly weights: Float32Array;
  /** The training's plan terms; the rotation seed is fresh per round (public: privacy does not depend on it). */
  readonly planRequest: Omit<GradientPlanRequest, 'parties' | 'colluders' | 'dropouts'>;
}

/** The decoded noisy sum of the parties' clipped per-example gradients (length plan.dimension), and the plan it was released under. */
export interface GradientSumResult {
  readonly sum: Float64Array;
  readonly plan: GradientRoundPlan;
}

/** The noisy sum over parties of a LocalQuery's answers, and the noise stddev of each entry. */
export interface SecureSumResult {
  readonly values: Float64Array;
  readonly stddev: number;
}

/**
 * A consortium seen by the coordinator. Each call: every party evaluates the query
 * (evaluateLocalQuery) on its own data, adds its share of discrete Gaussian noise planned so
 * that the released SUM satisfies `rho`-zCDP for the query's L2 sensitivity, the vectors are
 * summed by secure aggregation, and only the noisy sum is returned. Every party charges `rho`
 * to its budget under `label`.
 */
export interface FederatedOracle {
  /** The consortium domain (public). */
  readonly domain: Domain;
  /** Noisy sum of `query`'s answers, `rho`-zCDP. */
  secureSum(query: LocalQuery, rho: number, label: string): Promise<SecureSumResult>;
  /**
   * One gradient round of DP-SGD (shared/dp/gradient, KLS 2021 over secure aggregation); every party
   * charges the round's RDP loss (gradientRoundLoss). Absent on oracles that only count.
   */
  gradientSum?(step: GradientStepRequest, label: string): Promise<GradientSumResult>;
  /** Noisy marginals over `attrSets` (canonical order), `rho`-zCDP for all of them together. */
  measure(attrSets: readonly (readonly string[])[], rho: number, label: string, recode?: readonly AttributeRecode[]): Promise<Measurement[]>;
}

/** Cuts the noisy sum of a `marginals` query into one Measurement per attribute set. */
export function measurementsFromSum(
  domain: Domain,
  attrSets: readonly (readonly string[])[],
  sum: SecureSumResult,
  recode?: readonly AttributeRecode[],
): Measurement[] {
  const sizes = recodedSizes(domain, recode);
  let off = 0;
  return attrSets.map((attrs) => {
    const n = cellsOf(domain, sizes, attrs);
    const values = sum.values.slice(off, off + n);
    off += n;
    return { attrs: [...attrs], values, stddev: sum.stddev };
  });
}

/** `measure` for any oracle: one `marginals` secure sum cut into measurements. */
export async function measureBySecureSum(
  oracle: Pick<FederatedOracle, 'secureSum' | 'domain'>,
  attrSets: readonly (readonly string[])[],
  rho: number,
  label: string,
  recode?: readonly AttributeRecode[],
): Promise<Measurement[]> {
  const query: LocalQuery = recode && recode.length > 0 ? { kind: 'marginals', attrSets, recode } : { kind: 'marginals', attrSets };
  const sum = await oracle.secureSum(query, rho, label);
  return measurementsFromSum(oracle.domain, attrSets, sum, recode);
}
