// Aim: federated AIM (McKenna, Mullins, Sheldon, Miklau 2022, "AIM: An Adaptive and Iterative
// Mechanism for Differentially Private Synthetic Data", PVLDB 15(11)) over a FederatedOracle.
import type { Domain } from '../pgm/Domain.js';
import { estimate } from '../pgm/Estimation.js';
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import { hypotheticalModelSize } from '../pgm/JunctionTree.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';
import type { FederatedOracle } from './FederatedOracle.js';
import type { Measurement } from '../pgm/Measurement.js';
import { PrivacyAccountant } from '../dp/accounting/PrivacyAccountant.js';
import { federatedL1Scores } from './federatedL1Scores.js';
import { type AimCandidate, MB_PER_CELL, aimCandidates, fits, kWaySets } from './AimCandidates.js';
import { aimEpochs } from './aimEpochs.js';

export { aimCandidates, kWaySets } from './AimCandidates.js';

/**
 * How a round's candidates are scored without exact aggregates (docs/synthesis.md):
 * - `localScores` (AugFLAIM-style, Maddock, Cormode, Maple, KDD 2024): one secure sum of every
 *   party's local L1 error per candidate, sensitivity 2·sqrt(#candidates).
 * - `localScoresCorrected`: the same, each party also subtracting its expected sampling
 *   deviation (sensitivity 3·sqrt(#candidates)).
 * - `measured`: one secure sum of all candidate marginals (sensitivity sqrt(#candidates)); the
 *   score is the bias-corrected L1 distance of the noisy marginal from the model; the chosen
 *   candidates' noisy marginals are also given to the model.
 */
export type AimSelection = 'localScores' | 'localScoresCorrected' | 'measured';

/**
 * - `epochs` (default): a few large selection epochs (aimEpochs.ts): per epoch one release of
 *   every candidate's heterogeneity-corrected local score, then a batch measured.
 * - `rounds`: the reference AIM loop (one selection release per round, T = 16·d nominal rounds,
 *   annealing), with the `selection` path below.
 */
export type AimSchedule = 'epochs' | 'rounds';

export interface AimOptions {
  /** Total zCDP budget; never exceeded. */
  readonly rho: number;
  /** Workload (attribute sets); default all 3-way sets with at most `maxCells` cells. */
  readonly workload?: readonly (readonly string[])[];
  /** Cell bound of the default workload (default 10,000 as the reference script). */
  readonly maxCells?: number;
  /** Model-size bound in MB (rounds: 80, as AIM; epochs: 2, which keeps fits fast — batches grow the junction tree quickly). */
  readonly maxModelSizeMB?: number;
  /** Nominal rounds T (default 16·d, as AIM). */
  readonly rounds?: number;
  /** Estimator iterations per fit (default 1000, as the reference; warm-started; the epoch schedule's intermediate fits use a quarter). */
  readonly iters?: number;
  /** Epoch schedule: the estimator of every fit (default 'mirror-descent', as the reference AIM). */
  readonly estimator?: 'accelerated' | 'mirror-descent';
  /** Epoch schedule: the first epoch scores only candidates of at most this many attributes (default 2; 3 = all of Adult's workload). */
  readonly firstEpochMaxWay?: number;
  /** Epoch schedule: sigma falls at most by half per epoch, extra epochs take the rest (default false). */
  readonly annealing?: boolean;
  /** Epoch schedule: prune candidates that cannot beat their noise (default true). */
  readonly prune?: boolean;
  /** Epoch schedule: most marginals measured per epoch (default 2·d). */
  readonly maxBatch?: number;
  /** Epoch schedule: the fitted model's error on a measured marginal as a share of AIM's noise term (default 0.5). */
  readonly denoisingFactor?: number;
  /** Schedule (default `epochs`). */
  readonly schedule?: AimSchedule;
  /** `epochs`: number of selection epochs K (default 3; measured better than 5 and 8). */
  readonly epochs?: number;
  /** `epochs`: condition party references on the most heterogeneous column (default `condition`). */
  readonly heterogeneity?: 'condition' | 'none';
  /** `epochs`: share of rho for the heterogeneity probe (default 0.02). */
  readonly probeShare?: number;
  /** `epochs`: parties subtract their expected sampling deviation (default true; sensitivity 3). */
  readonly samplingCorrection?: boolean;
  /** `rounds`: selection path (default `localScores`). */
  readonly selection?: AimSelection;
  /** Candidates measured per selection release (default 1, as AIM). */
  readonly batch?: number;
  /** Share of a round's (epoch's) budget spent on selection (rounds: 0.1 as AIM; epochs: 0.25). */
  readonly selectionShare?: number;
  /** Reproducibility seed (used only for tie-free determinism; selection itself is argmax). */
  readonly seed?: string;
  /** Progress callback (round number, chosen sets, rho used so far). */
  readonly onRound?: (info: { round: number; chosen: readonly (readonly string[])[]; rhoUsed: number; sigma: number }) => void;
}

export interface AimResult {
  readonly model: GraphicalModel;
  readonly measurements: readonly Measurement[];
  /** Attribute sets chosen, in order. */
  readonly selected: readonly (readonly string[])[];
  readonly rhoUsed: number;
  /** `epochs`: the column party references were conditioned on (undefined: none). */
  readonly condition?: string;
  sample(n: number, rng: RandomSource): Int32Array[];
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Federated AIM, following the reference algorithm (mechanisms/aim.py): measure all 1-ways with
 * sigma = sqrt(T / (2·0.9·rho)); each round spends a selection release and `batch` measurements
 * with sigma; candidates must keep the model under maxModelSize·rhoUsed/rho; scores are
 * w_c·(||M_c(D) − M_c(p̂)||_1 − sqrt(2/π)·sigma·n_c); after the fit, if the chosen marginal moved
 * by at most sqrt(2/π)·sigma·n_c the noise is halved (budget annealing); when what remains is
 * less than two rounds, the last round uses all of it. Selection is the argmax of the noisy
 * scores (post-processing of a Gaussian release; see AimSelection).
 */
export async function aim(oracle: FederatedOracle, opts: AimOptions): Promise<AimResult> {
  const domain = oracle.domain;
  const d = domain.attrs.length;
  const rho = opts.rho;
  const budget = new PrivacyAccountant(rho);
  const workload = opts.workload ?? kWaySets(domain, Math.min(3, d), opts.maxCells ?? 10000);
  if (workload.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'aim: empty workload');
  const candidates = aimCandidates(domain, workload);
  const T = opts.rounds ?? 16 * d;
  const iters = opts.iters ?? 1000;
  const maxSize = opts.maxModelSizeMB ?? 80;
  if ((opts.schedule ?? 'epochs') === 'epochs') {
    const r = await aimEpochs(oracle, {
      rho,
      candidates,
      rounds: T,
      iters,
      maxModelSizeMB: opts.maxModelSizeMB ?? 2,
      epochs: Math.max(1, Math.floor(opts.epochs ?? 3)),
      selectionShare: opts.selectionShare ?? 0.25,
      heterogeneity: opts.heterogeneity ?? 'condition',
      probeShare: opts.probeShare ?? 0.02,
      samplingCorrection: opts.samplingCorrection ?? true,
      maxReferenceCells: 4 * (opts.maxCells ?? 10000),
      maxBatch: opts.maxBatch,
      denoisingFactor: opts.denoisingFactor,
      prune: opts.prune,
      annealing: opts.annealing,
      // Pairs first (as MST): the first release scores only 1- and 2-way candidates, so its noise
      // is spread over ~d²/2 entries instead of ~d³/6; 3-ways compete from the second epoch on.
      firstEpochMaxWay: opts.firstEpochMaxWay ?? 2,
      // Private-PGM's mirror descent, as the reference AIM: on Adult at eps 1 (seeds 1, 2) it gave
      // tv3 0.0917 / 0.0893 against 0.0963 / 0.0965 for the accelerated estimator, whose fits
      // reach a lower loss (it fits the noise more closely; docs/synthesis.md).
      estimator: opts.estimator ?? 'mirror-descent',
      onRound: opts.onRound,
    });
    return { model: r.model, measurements: r.measurements, selected: r.selected, rhoUsed: r.rhoUsed, condition: r.condition, sample: (rows, rng) => r.model.sample(rows, rng) };
  }
  const batch = Math.max(1, Math.floor(opts.batch ?? 1));
  const share = opts.selectionShare ?? 0.1;
  const selection = opts.selection ?? 'localScores';
  // Per-measurement rho 0.5/sigma² = (1-share)·rho/T; selection per release = share/(1-share)·batch·that.
  let sigma = Math.sqrt(T / (2 * (1 - share) * rho));
  const selRho = (s: number): number => (share / (1 - share)) * batch * (0.5 / (s * s));

  const oneways = domain.attrs.map((a) => [a]);
  const measurements: Measurement[] = await oracle.measure(oneways, budget.charge('aim/oneway', (d * 0.5) / (sigma * sigma)).rho, 'aim/oneway');
  let model = estimate(domain, measurements, { iters });
  const selected: string[][] = [];
  let terminate = false;
  let round = 0;
  while (!terminate) {
    round++;
    let measRho = 0.5 / (sigma * sigma);
    let sRho = selRho(sigma);
    if (budget.remaining < 2 * (sRho + batch * measRho)) {
      // Last round: spend exactly what remains, split in the same proportions.
      const rem = budget.remaining;
      sRho = rem * share;
      measRho = (rem * (1 - share)) / batch;
      sigma = Math.sqrt(0.5 / measRho);
      terminate = true;
    }
    const rhoUsedAfter = budget.spent.rho + sRho + batch * measRho;
    const sizeLimit = (maxSize * rhoUsedAfter) / rho;
    const small = candidates.filter((c) => fits(domain, model, c.attrs, sizeLimit));
    if (small.length === 0) break;
    const n = model.total;
    const est = small.map((c) => model.project(c.attrs));
    let raw: Float64Array;
    let extra: Measurement[] = [];
    if (selection === 'measured') {
      const ms = await oracle.measure(small.map((c) => c.attrs), budget.charge(`aim/select/${round}`, sRho).rho, `aim/select/${round}`);
      raw = new Float64Array(small.length);
      const bias = ms[0].stddev * SQRT_2_OVER_PI;
      ms.forEach((m, k) => {
        let l1 = 0;
        for (let i = 0; i < m.values.length; i++) l1 += Math.abs(m.values[i] - est[k][i]);
        raw[k] = l1 - bias * m.values.length;
      });
      extra = ms;
    } else {
      const res = await federatedL1Scores(oracle, small.map((c) => c.attrs), est, budget.charge(`aim/select/${round}`, sRho).rho, `aim/select/${round}`, undefined, selection === 'localScoresCorrected');
      raw = res.scores;
    }
    void n;
    const scores = small.map((c, k) => c.weight * (raw[k] - SQRT_2_OVER_PI * sigma * c.cells));
    const chosen = pickBatch(domain, model, small, scores, batch, sizeLimit);
    const fresh = await oracle.measure(chosen, budget.charge(`aim/measure/${round}`, chosen.length * measRho).rho, `aim/measure/${round}`);
    const chosenKeys = new Set(chosen.map((c) => c.join('\u0001')));
    const before = model.project(chosen[0]);
    measurements.push(...fresh, ...extra.filter((m) => chosenKeys.has(m.attrs.join('\u0001'))));
    selected.push(...chosen);
    model = estimate(domain, measurements, { iters, warmStart: model });
    const after = model.project(chosen[0]);
    let moved = 0;
    for (let i = 0; i < after.length; i++) moved += Math.abs(after[i] - before[i]);
    opts.onRound?.({ round, chosen, rhoUsed: budget.spent.rho, sigma });
    if (!terminate && moved <= sigma * SQRT_2_OVER_PI * after.length) {
      // Annealing (AIM Alg. 2): sigma /= 2, epsilon *= 2 — both rho shares grow 4x.
      sigma /= 2;
    }
  }
  return {
    model,
    measurements,
    selected,
    rhoUsed: budget.spent.rho,
    sample: (rows, rng) => model.sample(rows, rng),
  };
}

/** The best-scoring candidate, then (batch > 1) the next best ones that still fit together. */
function pickBatch(domain: Domain, model: GraphicalModel, small: readonly AimCandidate[], scores: readonly number[], batch: number, sizeLimit: number): string[][] {
  const order = small.map((_, k) => k).sort((x, y) => scores[y] - scores[x] || x - y);
  const chosen: string[][] = [];
  for (const k of order) {
    if (chosen.length === batch) break;
    const c = small[k].attrs;
    if (chosen.some((s) => c.every((a) => s.includes(a)) || s.every((a) => c.includes(a)))) continue;
    if (chosen.length > 0 && hypotheticalModelSize(domain, [...model.cliques, ...chosen, c]) * MB_PER_CELL > sizeLimit) continue;
    chosen.push(c);
  }
  return chosen;
}
