// aimOutside: one more AIM selection epoch over the candidates the junction tree cannot hold; its
// measurements reach the synthetic rows through fitRowsToMeasurements (post-processing).
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { FederatedOracle } from './FederatedOracle.js';
import type { AimCandidate } from './AimCandidates.js';
import { chooseBatch, conditionFor, DEFAULT_DENOISING_FACTOR, DEFAULT_MAX_POOL, boundedPool } from './aimEpochs.js';
import { federatedConditionalL1Scores } from './federatedConditionalL1Scores.js';

export interface AimOutsideSettings {
  /** zCDP budget of this epoch (selection and measurement). */
  readonly rho: number;
  readonly candidates: readonly AimCandidate[];
  /** Share of `rho` spent on the score release. */
  readonly selectionShare: number;
  /** The conditioning column of the earlier epochs (undefined: none). */
  readonly condition: string | undefined;
  readonly maxReferenceCells: number;
  readonly samplingCorrection: boolean;
  /** Most marginals measured (default 2·d). */
  readonly maxBatch?: number;
  readonly maxPool?: number;
  readonly denoisingFactor?: number;
}

export interface AimOutsideResult {
  readonly measurements: Measurement[];
  readonly rhoUsed: number;
}

/**
 * The candidates of at least two attributes that lie in no clique of `model` (so the junction tree
 * within the size bound could not take them) and in no measured set — more than `maxPool` of them
 * bounded as aimEpochs bounds its pools (boundedPool: `interacts` first): one release of their
 * conditioned scores against `model` (as an aimEpochs epoch), then a batch chosen by chooseBatch
 * without its size test, measured at sigma_b. Spends exactly `rho` when the pool is not empty,
 * nothing otherwise.
 */
export async function aimOutside(oracle: FederatedOracle, model: GraphicalModel, measured: readonly Measurement[], s: AimOutsideSettings): Promise<AimOutsideResult> {
  const domain = oracle.domain;
  const key = (attrs: readonly string[]): string => attrs.join('\u0001');
  const supported = new Set<string>();
  for (const m of measured)
    for (let mask = 1; mask < 1 << m.attrs.length; mask++) supported.add(key(m.attrs.filter((_, i) => (mask >> i) & 1)));
  const cliques = model.cliques;
  let pool = s.candidates.filter(
    (c) => c.attrs.length >= 2 && !supported.has(key(c.attrs)) && !cliques.some((cl) => c.attrs.every((a) => cl.includes(a))),
  );
  const maxPool = s.maxPool ?? DEFAULT_MAX_POOL;
  if (maxPool > 0 && pool.length > maxPool) pool = boundedPool(pool, maxPool, supported, new Map());
  if (pool.length === 0 || !(s.rho > 0)) return { measurements: [], rhoUsed: 0 };
  const rhoSel = s.selectionShare * s.rho;
  const rhoMeas = s.rho - rhoSel;
  const conds = pool.map((c) => conditionFor(domain, c.attrs, s.condition, s.maxReferenceCells));
  const { scores } = await federatedConditionalL1Scores(oracle, model, pool.map((c) => c.attrs), conds, rhoSel, 'aim/outside/select', s.samplingCorrection);
  const best = chooseBatch(domain, [], pool, scores, {
    rhoMeas,
    sizeLimitMB: Infinity,
    maxBatch: s.maxBatch,
    kappa: s.denoisingFactor ?? DEFAULT_DENOISING_FACTOR,
  });
  const measurements = await oracle.measure(best, rhoMeas, 'aim/outside/measure');
  return { measurements, rhoUsed: s.rho };
}
