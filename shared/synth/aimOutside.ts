// aimOutside: one more AIM selection epoch over the candidates the junction tree cannot hold; its
// measurements reach the synthetic rows through fitRowsToMeasurements (post-processing).
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { FederatedOracle } from './FederatedOracle.js';
import type { AimCandidate } from './AimCandidates.js';
import { batchSizes, conditionFor, DEFAULT_DENOISING_FACTOR, DEFAULT_MAX_POOL, boundedPool } from './aimEpochs.js';
import { federatedConditionalL1Scores } from './federatedConditionalL1Scores.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

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
 * bounded as aimEpochs bounds its pools (boundedPool: `interacts` first): one release of their conditioned scores against `model`
 * (as an aimEpochs epoch), then a batch chosen greedily on AIM's bias-corrected weighted score
 * w_r·(s_r − kappa·sqrt(2/π)·sigma_b·n_r) over batch sizes b, skipping candidates redundant with an
 * earlier pick (inside it or sharing two attributes) — chooseBatch without the size test — and
 * measured at sigma_b. Spends exactly `rho` when the pool is not empty, nothing otherwise.
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
  const kappa = s.denoisingFactor ?? DEFAULT_DENOISING_FACTOR;
  const maxB = Math.max(1, s.maxBatch ?? 2 * domain.attrs.length);
  let best: string[][] = [];
  let bestGain = -Infinity;
  for (const b of batchSizes(maxB)) {
    const sigma = Math.sqrt(b / (2 * rhoMeas));
    const gain = pool.map((c, k) => c.weight * (scores[k] - kappa * SQRT_2_OVER_PI * sigma * c.cells));
    const order = pool.map((_, k) => k).sort((x, y) => gain[y] - gain[x] || x - y);
    const picks: string[][] = [];
    let total = 0;
    for (const k of order) {
      if (picks.length === b || (picks.length > 0 && gain[k] <= 0)) break;
      const c = pool[k].attrs;
      if (picks.some((p) => sharedCount(p, c) >= Math.min(2, c.length))) continue;
      picks.push(c);
      total += gain[k];
    }
    if (picks.length < b && b > 1) break;
    if (total > bestGain) {
      bestGain = total;
      best = picks;
    }
  }
  const measurements = await oracle.measure(best, rhoMeas, 'aim/outside/measure');
  return { measurements, rhoUsed: s.rho };
}

function sharedCount(p: readonly string[], c: readonly string[]): number {
  let n = 0;
  for (const a of c) if (p.includes(a)) n++;
  return n;
}
