// aimEpochs: federated AIM with a few large selection epochs (one noisy release of every
// candidate's score per epoch, a greedily chosen batch measured per epoch) — see docs/synthesis.md.
import type { Domain } from '../pgm/Domain.js';
import { estimate } from '../pgm/Estimation.js';
import type { FitHelper } from '../pgm/TwoThreadFit.js';
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import { hypotheticalModelSize } from '../pgm/JunctionTree.js';
import type { FederatedOracle } from './FederatedOracle.js';
import type { Measurement } from '../pgm/Measurement.js';
import { PrivacyAccountant } from '../dp/accounting/PrivacyAccountant.js';
import { type AimCandidate, MB_PER_CELL, fits, insideClique } from './AimCandidates.js';
import { federatedConditionalL1Scores } from './federatedConditionalL1Scores.js';
import { AttributeForest } from './AttributeForest.js';
import { normalQuantile } from '../eval/risk/normalQuantile.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

export interface AimEpochSettings {
  readonly rho: number;
  readonly candidates: readonly AimCandidate[];
  /** Nominal AIM rounds T: the 1-ways get AIM's first-round noise sqrt(T / (2·0.9·rho)). */
  readonly rounds: number;
  readonly iters: number;
  readonly maxModelSizeMB: number;
  /** Selection epochs K. */
  readonly epochs: number;
  /** Share of each epoch's budget spent on its score release. */
  readonly selectionShare: number;
  /**
   * Heterogeneity-aware scores, all after a probe release that finds the column Y the parties are
   * most skewed on (if any is significant): `joint` (AimOptions' default) conditions each candidate
   * of 2+ attributes without Y on its most skewed member a AND on Y (`jointConditionFor`:
   * Y_r = {a, Y} when r ∪ {Y} stays within `maxReferenceCells`), one holding Y on Y alone, and
   * leaves the 1-ways out of the score releases; `condition` conditions every party reference on
   * Y; `selfCondition` conditions each candidate of 2+ attributes on its OWN most skewed member
   * (`selfConditionFor`) and leaves the 1-ways out; `none`: no probe.
   */
  readonly heterogeneity: 'joint' | 'condition' | 'selfCondition' | 'none';
  /**
   * With `joint` or `selfCondition`: a candidate all of whose members other than Y have their pair
   * with Y inside a model clique (the model knows how r depends on Y) conditions on Y instead.
   */
  readonly selfConditionUntilKnown?: boolean;
  /**
   * With `joint`: the member a is the most skewed one whose pair with Y no model clique
   * holds (the model does not know how it depends on Y); with none, the candidate conditions on Y.
   */
  readonly jointConditionUnknown?: boolean;
  /**
   * With `joint` or `selfCondition` and a skewed column found: the scores' sampling floor from
   * each cell's variance given the party's own counts of the condition (LocalQuery
   * `multinomialFloor`) instead of the Poisson floor g(ref_i(x)); a self-conditioned cell with a
   * large conditional q(x | x_a) deviates less than a Poisson count of its mean, and the Poisson
   * floor over-subtracts (most for few cells). Default: `defaultMultinomialFloor` (true for
   * `selfCondition`, false for `joint`).
   */
  readonly multinomialFloor?: boolean;
  /**
   * With `joint` or `selfCondition` (default true): add to each score the model's expected L1 error on the
   * 1-way of every conditioned member (`expectedMarginError`), which a conditioned reference
   * cannot see and the consortium's score holds.
   */
  readonly marginAddBack?: boolean;
  /** Share of rho for the heterogeneity probe. */
  readonly probeShare: number;
  /**
   * With a conditioning column Y, the first epoch first scores and measures the pairs {a, Y}
   * (`conditionPairsStep`) so that the model's q(r | Y), on which every other party reference
   * rests, knows how the columns depend on Y (default false: measured mixed, docs/synthesis.md).
   */
  readonly conditionPairsFirst?: boolean;
  /** Parties subtract their expected local sampling deviation (sensitivity 3 instead of 2). */
  readonly samplingCorrection: boolean;
  /** Score only candidates of at most this many attributes in the first epoch (default: all). */
  readonly firstEpochMaxWay?: number;
  /** How many epochs `firstEpochMaxWay` holds for (default 1: the first only). */
  readonly maxWayEpochs?: number;
  /**
   * Most candidates one selection release scores (default 10,000): a resource bound — each party
   * counts and projects that many marginals per release, and the release's noise grows with the
   * square root of the pool. A larger pool keeps the candidates that `interacts` admits (k-ways
   * with two supported (k−1)-subsets), then the strongest-supported first. 0 or Infinity: no bound.
   */
  readonly maxPool?: number;
  /** Limit each epoch's sigma to at least half the previous one, adding epochs (default false). */
  readonly annealing?: boolean;
  /** Skip candidates whose score bound cannot beat their measurement noise (default true). */
  readonly prune?: boolean;
  /** A second thread for the fits (estimate's `helper`). */
  readonly fitHelper?: FitHelper;
  /** Estimator of every fit (default: estimate()'s default, 'accelerated'). */
  readonly estimator?: 'accelerated' | 'mirror-descent';
  /** Most marginals measured per epoch (default 2·d). */
  readonly maxBatch?: number;
  /** How an epoch's measurement budget is spread over its batch (default `equal`; `MeasurementSplit`). */
  readonly measurementSplit?: MeasurementSplit;
  /** A batch skips candidates whose column pairs its earlier picks already link (`linkedByPicks`; default false). */
  readonly pathRedundancy?: boolean;
  /**
   * The first epoch's batch is a maximum-weight spanning forest over the noisy gains (`BatchLink`
   * `forest`: Chow-Liu / MST's Kruskal step); later epochs as `pathRedundancy` says (default false).
   */
  readonly firstBatchForest?: boolean;
  /**
   * A batch's picks after its first need a noisy score above `significanceThreshold` of the
   * release (default false): a pick on selection noise alone is expected at most once per release.
   */
  readonly significantPicks?: boolean;
  /**
   * Expected L1 error of the fitted model on a marginal measured at sigma, as a share of AIM's
   * raw-noise term sqrt(2/π)·sigma·n_r (default 0.5; 1 is AIM's own criterion). See `chooseBatch`.
   */
  readonly denoisingFactor?: number;
  /** Largest cell count of candidate ∪ condition sent as a reference (larger: unconditioned). */
  readonly maxReferenceCells: number;
  readonly onRound?: (info: { round: number; chosen: readonly (readonly string[])[]; rhoUsed: number; sigma: number }) => void;
}

export interface AimEpochResult {
  readonly model: GraphicalModel;
  readonly measurements: Measurement[];
  readonly selected: string[][];
  readonly rhoUsed: number;
  /** The conditioning column chosen by the probe (undefined: none significant / disabled). */
  readonly condition: string | undefined;
}

/**
 * 1. Measure all 1-ways (AIM's first-round sigma), fit.
 * 2. Heterogeneity probe (optional): one `conditionalL1Scores` release of the d singletons with
 *    sampling correction; each entry estimates sum_i ||c_i(a) − n_i p̂(a)||_1 beyond sampling
 *    noise. The column with the largest entry beyond the model's own 1-way error
 *    (sqrt(2/π)·sigma0·n_a), if that excess is above 3 noise stddevs, becomes Y; with Y and
 *    `conditionPairsFirst`, epoch 1 starts with `conditionPairsStep`.
 * 3. K epochs; epoch e spends remaining/(K − e + 1): a share on one release of all candidates
 *    that fit the model-size bound (conditioned on Y), the rest on a batch of b marginals with
 *    sigma_b = sqrt(b / (2·rho_meas)). The batch is chosen greedily on AIM's bias-corrected
 *    weighted score w_r·(s_r − sqrt(2/π)·sigma_b·n_r), skipping candidates that share two
 *    attributes with (or lie inside) an earlier pick, with b maximizing the total positive
 *    score (at least one marginal per epoch). Fit warm-started after every epoch.
 * Every release is charged to a PrivacyAccountant; the last epoch spends exactly what remains.
 */
export async function aimEpochs(oracle: FederatedOracle, s: AimEpochSettings): Promise<AimEpochResult> {
  const domain = oracle.domain;
  const d = domain.attrs.length;
  const budget = new PrivacyAccountant(s.rho);
  const sigma0 = Math.sqrt(s.rounds / (2 * 0.9 * s.rho));
  const oneways = domain.attrs.map((a) => [a]);
  const measurements: Measurement[] = await oracle.measure(oneways, budget.charge('aim/oneway', (d * 0.5) / (sigma0 * sigma0)).rho, 'aim/oneway');
  let model = estimate(domain, measurements, { iters: s.iters, method: s.estimator, helper: s.fitHelper });

  let condition: string | undefined;
  // With `joint` or `selfCondition` and a significant Y: each column's probe excess, the skew ranking.
  let skew: Float64Array | undefined;
  if (s.heterogeneity !== 'none' && d > 1 && s.probeShare > 0) {
    const probe = await federatedConditionalL1Scores(oracle, model, oneways, oneways.map(() => []), budget.charge('aim/probe', s.probeShare * s.rho).rho, 'aim/probe', true);
    // An entry also holds the fitted model's own error on the 1-way (each party's rows against
    // n_i·p̂, p̂ fitted to a measurement at sigma0): about the raw noise's expected L1 error,
    // sqrt(2/π)·sigma0 per cell, in one party as in many (summed over parties it can only shrink).
    // Without that allowance one party — no heterogeneity at all — "found" a column on every seed
    // of the 40-column table (16-value columns: ~1,970 of model error against 3 stddevs ~2,300).
    const excess = domain.shape.map((cells, k) => probe.scores[k] - SQRT_2_OVER_PI * sigma0 * cells);
    let best = -1;
    excess.forEach((v, k) => {
      if (v > 3 * probe.stddev && (best < 0 || v > excess[best])) best = k;
    });
    if (best >= 0) {
      condition = domain.attrs[best];
      if (s.heterogeneity === 'selfCondition' || s.heterogeneity === 'joint') skew = Float64Array.from(excess);
    }
  }

  const kappa = s.denoisingFactor ?? DEFAULT_DENOISING_FACTOR;
  const selected: string[][] = [];
  const scoreBound = new Map<string, number>();
  const supported = new Set<string>();
  const lastScore = new Map<string, number>();
  const key = (attrs: readonly string[]): string => attrs.join('\u0001');
  let epochs = s.epochs;
  const maxEpochs = s.annealing === true ? 2 * s.epochs : s.epochs;
  let prevSigma = Infinity;
  for (let e = 1; e <= epochs; e++) {
    let last = e === epochs;
    const rhoEpoch = last ? budget.remaining : budget.remaining / (epochs - e + 1);
    if (!(rhoEpoch > 0)) break;
    const rhoSel = s.selectionShare * rhoEpoch;
    const rhoMeas = rhoEpoch - rhoSel;
    const sizeLimit = (s.maxModelSizeMB * (budget.spent.rho + rhoEpoch)) / s.rho;
    // Pruning (post-processing of earlier releases): a candidate that cannot have a positive
    // gain even measured alone (b = 1) — its score bound is below the noise term of the gain,
    // kappa·sqrt(2/π)·sigma_1·n_r — is not scored again, so the others' scores get less noise.
    const sigma1 = Math.sqrt(1 / (2 * rhoMeas));
    for (const m of measurements) addSubsets(m.attrs, supported);
    // Cheap tests first: the junction-tree size test (fits) is the expensive one.
    let pre = s.candidates.filter(
      (c) =>
        (e > (s.maxWayEpochs ?? 1) || s.firstEpochMaxWay === undefined || c.attrs.length <= s.firstEpochMaxWay) &&
        // Self-conditioned, a 1-way's reference is the party's own counts: nothing to score.
        (skew === undefined || c.attrs.length > 1) &&
        (s.prune === false || (scoreBound.get(key(c.attrs)) ?? 2 * model.total) > kappa * SQRT_2_OVER_PI * sigma1 * c.cells),
    );
    const maxPool = s.maxPool ?? DEFAULT_MAX_POOL;
    if (maxPool > 0 && pre.length > maxPool) pre = boundedPool(pre, maxPool, supported, lastScore);
    const pool = pre.filter((c) => fits(domain, model, c.attrs, sizeLimit));
    if (pool.length === 0) break;
    let rhoSelMain = rhoSel;
    let rhoMeasMain = rhoMeas;
    const early: string[][] = [];
    if (e === 1 && condition !== undefined && s.conditionPairsFirst === true) {
      const step = await conditionPairsStep(oracle, model, pool, condition, rhoSel, rhoMeas, budget, s.maxBatch ?? 2 * d, kappa, s.samplingCorrection);
      rhoSelMain -= step.rhoSel;
      rhoMeasMain -= step.rhoMeas;
      if (step.chosen.length > 0) {
        measurements.push(...step.measurements);
        selected.push(...step.chosen);
        early.push(...step.chosen);
        model = estimate(domain, measurements, { iters: Math.max(100, Math.ceil(s.iters / 4)), warmStart: model, method: s.estimator, helper: s.fitHelper });
      }
    }
    const conds = pool.map((c) => {
      if (skew === undefined) return conditionFor(domain, c.attrs, condition, s.maxReferenceCells);
      if (s.selfConditionUntilKnown === true && condition !== undefined && knowsDependence(model.cliques, c.attrs, condition)) return conditionFor(domain, c.attrs, condition, s.maxReferenceCells);
      if (s.heterogeneity === 'joint' && condition !== undefined) return jointConditionFor(domain, c.attrs, skew, condition, s.maxReferenceCells, s.jointConditionUnknown === true ? model.cliques : undefined);
      return selfConditionFor(domain, c.attrs, skew);
    });
    const { scores, stddev } = await federatedConditionalL1Scores(oracle, model, pool.map((c) => c.attrs), conds, budget.charge(`aim/select/${e}`, rhoSelMain).rho, `aim/select/${e}`, s.samplingCorrection, skew !== undefined && (s.multinomialFloor ?? defaultMultinomialFloor(s.heterogeneity)));
    if (skew !== undefined && s.marginAddBack !== false) {
      // Post-processing: a public estimate from the measurements' sets and noise scales.
      const margin = new Map<string, number>();
      const err = (a: string): number => {
        let v = margin.get(a);
        if (v === undefined) margin.set(a, (v = kappa * expectedMarginError(domain, measurements, a)));
        return v;
      };
      pool.forEach((c, k) => {
        for (const a of conds[k]) if (c.attrs.includes(a)) scores[k] += err(a);
      });
    }
    // Upper confidence bound of each score (3 noise stddevs) for the next epoch's pruning.
    pool.forEach((c, k) => scoreBound.set(key(c.attrs), scores[k] + 3 * stddev));
    // Support for larger candidates: a score above 3 noise stddevs (one-sided false-positive rate
    // ~1e-3 per candidate) says the model is wrong on that set.
    pool.forEach((c, k) => {
      if (scores[k] > 3 * stddev) supported.add(key(c.attrs));
      lastScore.set(key(c.attrs), scores[k]);
    });
    const split = s.measurementSplit ?? 'equal';
    const link: BatchLink = e === 1 && s.firstBatchForest === true ? 'forest' : s.pathRedundancy === true ? 'paths' : 'none';
    const minScore = s.significantPicks === true ? significanceThreshold(pool.length, stddev) : -Infinity;
    const chosen = chooseBatch(domain, model.cliques, pool, scores, {
      rhoMeas: rhoMeasMain,
      sizeLimitMB: sizeLimit,
      maxBatch: s.maxBatch,
      kappa,
      split,
      link,
      minScore,
    });
    let sigma = Math.sqrt(chosen.length / (2 * rhoMeasMain));
    let rhoSpend = rhoMeasMain;
    // AIM's annealing lowers sigma by at most half per step: when the batch would be measured
    // more than twice as precisely as the previous one, it gets sigma_prev/2 and the rest of
    // the epoch's budget goes to one more epoch (at most 2K in all). (`equal` split only.)
    if (split === 'equal' && Number.isFinite(prevSigma) && sigma < prevSigma / 2 && epochs < maxEpochs) {
      sigma = prevSigma / 2;
      rhoSpend = chosen.length / (2 * sigma * sigma);
      if (last) {
        epochs++;
        last = false;
      }
    }
    prevSigma = sigma;
    const groups = split === 'cells' ? cellsSplit(domain, chosen, rhoSpend) : [{ sets: chosen, rho: rhoSpend }];
    const fresh: Measurement[] = [];
    for (const [g, group] of groups.entries()) {
      const label = groups.length > 1 ? `aim/measure/${e}/${g + 1}` : `aim/measure/${e}`;
      // The last epoch's last release takes exactly what remains (no floating-point leftover).
      const rhoG = last && g === groups.length - 1 ? budget.remaining : group.rho;
      fresh.push(...(await oracle.measure(group.sets, budget.charge(label, rhoG).rho, label)));
    }
    measurements.push(...fresh);
    selected.push(...chosen);
    // Intermediate fits only steer selection (warm-started, a quarter of the iterations); the
    // final fit runs the full count.
    model = estimate(domain, measurements, { iters: last ? s.iters : Math.max(100, Math.ceil(s.iters / 4)), warmStart: model, method: s.estimator, helper: s.fitHelper });
    s.onRound?.({ round: e, chosen: [...early, ...chosen], rhoUsed: budget.spent.rho, sigma });
  }
  return { model, measurements, selected, rhoUsed: budget.spent.rho, condition };
}

/**
 * The first epoch's condition step. The party reference of a candidate r conditioned on Y is
 * Σ_y c_i(y)·q(r | y): it removes the parties' skew on Y only where the model already knows how r
 * depends on Y. After the 1-ways alone q(r | y) = q(r), so each party's error on r also carries
 * how its rows of r differ from the consortium's through Y (they cancel in the consortium's
 * error, not in the sum of the parties' L1 errors): the scores of every candidate correlated with
 * Y are inflated, and selection follows the skew instead of the model's error. The pairs {a, Y}
 * are free of it (their reference is c_i(y)·q(a | y) over the pair itself), so they are scored
 * first, in a release of their own with the same per-score noise as the epoch's main release
 * (its share of the selection budget is their share of the candidates), and those with a positive
 * gain at the epoch's largest-batch sigma, sqrt(maxBatch / (2·rho_meas)), are measured at that
 * sigma from the epoch's measurement budget; the model is refitted before the main release.
 * Post-processing aside, it spends only what it charges (returned for the caller to deduct).
 */
export async function conditionPairsStep(
  oracle: FederatedOracle,
  model: GraphicalModel,
  pool: readonly AimCandidate[],
  y: string,
  rhoSel: number,
  rhoMeas: number,
  budget: PrivacyAccountant,
  maxBatch: number,
  kappa: number,
  samplingCorrection: boolean,
): Promise<{ chosen: string[][]; measurements: Measurement[]; rhoSel: number; rhoMeas: number }> {
  const pairs = pool.filter((c) => c.attrs.length === 2 && c.attrs.includes(y));
  if (pairs.length === 0) return { chosen: [], measurements: [], rhoSel: 0, rhoMeas: 0 };
  const rhoSelY = (rhoSel * pairs.length) / (pairs.length + pool.length);
  const { scores } = await federatedConditionalL1Scores(oracle, model, pairs.map((c) => c.attrs), pairs.map(() => [y]), budget.charge('aim/select/condition', rhoSelY).rho, 'aim/select/condition', samplingCorrection);
  const sigma = Math.sqrt(Math.max(1, maxBatch) / (2 * rhoMeas));
  const chosen = conditionPairsToMeasure(pairs, scores, sigma, maxBatch, kappa);
  if (chosen.length === 0) return { chosen, measurements: [], rhoSel: rhoSelY, rhoMeas: 0 };
  const rhoY = chosen.length / (2 * sigma * sigma);
  const measurements = await oracle.measure(chosen, budget.charge('aim/measure/condition', rhoY).rho, 'aim/measure/condition');
  return { chosen, measurements, rhoSel: rhoSelY, rhoMeas: rhoY };
}

/**
 * The pairs of `conditionPairsStep` worth measuring at `sigma`: positive gain
 * w_r·(s_r − kappa·sqrt(2/π)·sigma·n_r), largest first, at most `maxBatch`. Pairs sharing only Y
 * are never redundant with each other.
 */
export function conditionPairsToMeasure(pairs: readonly AimCandidate[], scores: ArrayLike<number>, sigma: number, maxBatch: number, kappa = DEFAULT_DENOISING_FACTOR): string[][] {
  const gain = pairs.map((c, k) => c.weight * (scores[k] - kappa * SQRT_2_OVER_PI * sigma * c.cells));
  return pairs
    .map((_, k) => k)
    .filter((k) => gain[k] > 0)
    .sort((a, b) => gain[b] - gain[a] || a - b)
    .slice(0, Math.max(0, maxBatch))
    .map((k) => [...pairs[k].attrs]);
}

/** Default `maxPool`: candidates per selection release (see AimEpochSettings.maxPool). */
export const DEFAULT_MAX_POOL = 10_000;

/**
 * At most `maxPool` of `pool`: first the candidates `interacts` admits, and if they are still too
 * many, the 1- and 2-ways and then the k-ways whose (k−1)-subsets scored highest in the last
 * releases (sum of their last noisy scores), ties in candidate order. Post-processing.
 */
export function boundedPool<C extends { readonly attrs: readonly string[] }>(pool: readonly C[], maxPool: number, supported: ReadonlySet<string>, lastScore: ReadonlyMap<string, number>): C[] {
  const admitted = pool.filter((c) => interacts(c.attrs, supported));
  if (admitted.length <= maxPool) return admitted;
  const strength = (attrs: readonly string[]): number => {
    if (attrs.length <= 2) return Infinity;
    let s = 0;
    for (let i = 0; i < attrs.length; i++) s += lastScore.get(attrs.filter((_, j) => j !== i).join('\u0001')) ?? 0;
    return s;
  };
  const st = admitted.map((c) => strength(c.attrs));
  const order = admitted.map((_, k) => k).sort((x, y) => st[y] - st[x] || x - y);
  const keep = new Set(order.slice(0, maxPool));
  return admitted.filter((_, k) => keep.has(k));
}

/** Adds the key of every non-empty subset of `attrs` to `out`. */
function addSubsets(attrs: readonly string[], out: Set<string>): void {
  for (let mask = 1; mask < 1 << attrs.length; mask++) out.add(attrs.filter((_, i) => (mask >> i) & 1).join('\u0001'));
}

/**
 * Whether a candidate may add to what its subsets already say: 1- and 2-way candidates always;
 * one of k >= 3 attributes when at least two of its (k−1)-subsets are supported (measured, or
 * scored significantly). A triple {a, b, c} with at most one dependent pair, say a–b, is close to
 * the product of that pair and an independent column, which the pairs already capture; a triple
 * whose pairs interact (a path a–b–c) is where a 3-way marginal can improve the model. The pool
 * then grows with the dependence graph (Σ_v deg(v)² triples) instead of d³/6, and the score
 * release's noise, which grows with the square root of the pool, stays small on wide tables.
 * Post-processing of earlier releases.
 */
export function interacts(attrs: readonly string[], supported: ReadonlySet<string>): boolean {
  if (attrs.length <= 2) return true;
  let n = 0;
  for (let i = 0; i < attrs.length; i++) if (supported.has(attrs.filter((_, j) => j !== i).join('\u0001')) && ++n >= 2) return true;
  return false;
}

/** The conditioning set for a candidate: [Y] when the reference over r ∪ Y stays small enough. */
export function conditionFor(domain: Domain, attrs: readonly string[], y: string | undefined, maxCells: number): string[] {
  if (y === undefined) return [];
  if (attrs.includes(y)) return [y];
  return domain.size(attrs) * domain.sizeOf(y) <= maxCells ? [y] : [];
}

/**
 * The expected L1 error of the model's 1-way of `a` from public values: each measurement m holding
 * a gives a's margin with per-cell noise variance sigma_m²·|m|/|a| (|·| = cells); combined by
 * inverse variance, sigma_a, and the error sqrt(2/π)·sigma_a·|a| (the raw-noise term of AIM's
 * score, McKenna et al. 2022). Infinity if no measurement holds a.
 */
export function expectedMarginError(domain: Domain, measurements: readonly Measurement[], a: string): number {
  const cells = domain.sizeOf(a);
  let precision = 0;
  for (const m of measurements) if (m.attrs.includes(a)) precision += cells / (m.stddev * m.stddev * m.values.length);
  return precision > 0 ? SQRT_2_OVER_PI * cells / Math.sqrt(precision) : Infinity;
}

/** Whether every member of `attrs` other than `y` has its pair with `y` inside one of `cliques`. */
export function knowsDependence(cliques: readonly (readonly string[])[], attrs: readonly string[], y: string): boolean {
  return attrs.every((a) => a === y || insideClique(cliques, [a, y]));
}

/**
 * The self-condition of a candidate r of 2+ attributes: its member the parties are most skewed on
 * (largest probe excess `skew`, column order; ties: the first), so that party i's reference is
 * c_i(x_a)·q(x_{r∖a} | x_a) — its OWN counts of a spread by the model's conditional of the rest
 * of r (LocalQuery `conditionalL1Scores` with Y_r ⊂ r: same sensitivity, 2 or 3 per entry).
 * Why: under skew the consortium's error on r cancels across parties where each party's own
 * error does not (Σ_i |d_i| against |Σ_i d_i|). A party's error against n_i·q(r), or against
 * Σ_y c_i(y)·q(r | y) while the model has not learnt how r depends on Y, carries how its rows of r
 * differ through the skewed column; conditioning on a member a matches the party's own margin of
 * a exactly, so what remains is the model's error on the rest of r given a, in which the skew is
 * left only as far as the rest of r depends on Y beyond a (none when a = Y, and least when a is
 * the member most tied to Y). The consortium's score on r loses only the model's error on the
 * 1-way of a, already measured. A 1-way conditioned on itself has no error to score.
 * Measured in docs/synthesis.md ("AIM under skew": self-conditioned scores). Post-processing of
 * the probe release.
 */
export function selfConditionFor(domain: Domain, attrs: readonly string[], skew: ArrayLike<number>): string[] {
  if (attrs.length < 2) return [];
  let best = attrs[0];
  for (const a of attrs) if (skew[domain.indexOf(a)] > skew[domain.indexOf(best)]) best = a;
  return [best];
}

/**
 * The joint condition of a candidate r of 2+ attributes: [Y] when Y is in r, else its most skewed
 * member a (`selfConditionFor`) together with Y, in domain order, when r ∪ {Y} has at most
 * `maxCells` cells (else [a]). Party i's reference is Σ_{a,y} c_i(x_a, y)·q(x_{r∖a} | x_a, y):
 * its OWN counts of (a, Y) spread by the model's conditional of the rest of r. Under a split
 * skewed on Y the party's rows of r∖a given (a, y) follow the consortium's, so the reference
 * carries the skew wherever the model knows how r depends on Y (as conditioning on Y does) and,
 * where it does not yet, still matches the party's own margin of a (as self-conditioning does).
 * Same query kind and sensitivity (LocalQuery `conditionalL1Scores`: any condition set,
 * q(·| a, y) a probability vector over r's cells: 2 per entry, 3 with either floor).
 */
export function jointConditionFor(domain: Domain, attrs: readonly string[], skew: ArrayLike<number>, y: string, maxCells: number, cliques?: readonly (readonly string[])[]): string[] {
  if (attrs.length < 2) return [];
  if (attrs.includes(y)) return [y];
  const unknown = cliques === undefined ? attrs : attrs.filter((m) => !insideClique(cliques, domain.canonical([m, y])));
  if (unknown.length === 0) return [y];
  let a = unknown[0];
  for (const m of unknown) if (skew[domain.indexOf(m)] > skew[domain.indexOf(a)]) a = m;
  if (domain.size(attrs) * domain.sizeOf(y) > maxCells) return [a];
  return domain.indexOf(a) < domain.indexOf(y) ? [a, y] : [y, a];
}

/**
 * Which floor a heterogeneity mode's scores subtract when `multinomialFloor` is left out: the
 * exact conditional (multinomial) floor for `selfCondition`, the Poisson floor g(ref_i(x)) for
 * `joint` (session 11). The two differ in the cells with a large q(x | x_a, y), i.e. in the
 * candidates with few cells outside the member a. Those are where the joint condition keeps a
 * bias: where the model does not yet hold how r∖a depends on Y given a, the parties' residuals
 * Σ_y c_i(x_a, y)·(p − q)(x | x_a, y) change sign with y and cancel in the consortium's error but
 * not in the summed one. The exact floor leaves that bias whole, and the greedy batch, picking
 * the largest of noisy scores, took such candidates at little true gain; the Poisson floor, the
 * one the old default and one party subtract, offsets part of it. Measured in docs/synthesis.md
 * ("The joint condition as the default"): Adult, 10 parties, seeds 1-6 mean tv3 0.0932 -> 0.0914,
 * every skewed table within 1.05x one party. Privacy: the floor is a per-release choice of the
 * same `conditionalL1Scores` query, sensitivity 3 per entry either way (LocalQuery.ts).
 */
export function defaultMultinomialFloor(heterogeneity: AimEpochSettings['heterogeneity']): boolean {
  return heterogeneity === 'selfCondition';
}

/**
 * The fitted model's expected L1 error on a freshly measured marginal, as a share of the term
 * sqrt(2/π)·sigma·n_r that AIM's score subtracts (McKenna et al. 2022). That term is the raw
 * noisy measurement's expected L1 error; it does not count the model's denoising. AIM measures
 * one marginal per round, so the term only ranks candidates; here it also sets the batch size b
 * (sigma_b grows with sqrt(b)), and the raw-noise term makes batches too small. The factor is a
 * property of the estimator, not of a data set: for a cell whose true count is 0 the model's
 * non-negativity alone halves the expected error (E[max(0, z)] = sigma/sqrt(2π) =
 * ½·sqrt(2/π)·sigma); dense cells gain from consistency with the other measurements. SURE
 * estimates of converged fits' error on Adult (eps 0.5, 1, 4) gave 0.57-0.73. 0.5 was chosen
 * over 0.35, 0.65 and 1 on 2-4 seeds per eps (docs/synthesis.md).
 */
export const DEFAULT_DENOISING_FACTOR = 0.5;

/**
 * How an epoch's measurement budget is spread over its batch:
 * - `equal`: one release, every marginal at the same sigma_b = sqrt(b / (2·rho_meas)) (AIM's own:
 *   one marginal per round, so one sigma per round).
 * - `cells`: rho_r ∝ n_r^(2/3) (n_r = cells), i.e. sigma_r ∝ n_r^(−1/3): for a fixed rho this
 *   minimises the batch's total expected L1 noise Σ_r sqrt(2/π)·sigma_r·n_r (Lagrange: n_r ∝
 *   sigma_r^(−3)), the quantity AIM's score subtracts: a 4,096-cell triple gets 40x the rho of a
 *   16-cell pair (a 6.3x smaller sigma). Released in a few groups of similar size (`cellsSplit`),
 *   each group at one sigma. The same rule as the known-structure oracle's (bench/_structureCeiling).
 */
export type MeasurementSplit = 'equal' | 'cells';

/**
 * What else a batch skips besides candidates `redundant` with an earlier pick (post-processing of
 * the released scores; the whole batch is scored against the model before any of it is measured,
 * so a pair dependent only through a third column — siblings b ← a → c, a chain a–x–b — scores
 * like a planted edge):
 * - `none`: nothing else.
 * - `paths`: a candidate all of whose column pairs the earlier picks link directly or through one
 *   column (`linkedByPicks`).
 * - `forest`: a candidate two of whose columns the model's cliques or the earlier picks already
 *   connect by a path of any length (`AttributeForest.closesCycle`), so the batch is Kruskal's
 *   maximum-weight spanning forest over the gains: Chow & Liu (1968, "Approximating discrete
 *   probability distributions with dependence trees", IEEE Trans. Inf. Theory 14(3)) — the best
 *   tree-shaped model keeps the heaviest acyclic pairs — as MST's selection step (McKenna, Miklau,
 *   Sheldon 2021, "Winning the NIST contest", J. Privacy and Confidentiality 11(3)). Meant for the
 *   first epoch (pairs against the independent model): the sibling and chain pairs it skips are
 *   scored again, against the refitted tree, in the next epoch, which explains what they only
 *   owed to the tree (at most d − 1 picks, so the batch is measured at a smaller sigma).
 */
export type BatchLink = 'none' | 'paths' | 'forest';

/** How `chooseBatch` prices and filters a batch; every field but the first two has a default. */
export interface ChooseBatchOptions {
  /** The zCDP budget the batch is measured with (rho_meas; sigma_r follows from it and `split`). */
  readonly rhoMeas: number;
  /**
   * Bound on the junction tree of `cliques` plus the picks, in MB; `Infinity` skips the size test
   * (aimOutside: sets the tree will not hold).
   */
  readonly sizeLimitMB: number;
  /** Largest batch tried (default 2·d, d the domain's column count; at least 1). */
  readonly maxBatch?: number;
  /** Share kappa of the raw-noise term charged against each score (default `DEFAULT_DENOISING_FACTOR`). */
  readonly kappa?: number;
  /** How the measurement budget is spread over the batch (default `equal`; `MeasurementSplit`). */
  readonly split?: MeasurementSplit;
  /** Which candidates the earlier picks make redundant (default `none`; `BatchLink`). */
  readonly link?: BatchLink;
  /**
   * Noisy score a pick after the first needs (default −Infinity: none; aimEpochs passes
   * `significanceThreshold` when `significantPicks` is set).
   */
  readonly minScore?: number;
}

/**
 * Greedy batch on bias-corrected weighted scores w_r·(s_r − kappa·sqrt(2/π)·sigma_r·n_r) for each
 * batch size b up to `maxBatch`; returns the batch with the largest total positive score (the
 * single best if none is positive). `equal`: sigma_r = sqrt(b / (2·rho_meas)) for all r. `cells`:
 * sigma_r = sqrt(S / (2·rho_meas))·n_r^(−1/3) with S = Σ_batch n^(2/3) (so sigma_r·n_r =
 * sqrt(S/(2·rho))·n_r^(2/3)); S depends on the picks, so each b is picked twice, the second time
 * with S of the first picks, and scored with S of the final picks. An infinite `sizeLimitMB` skips
 * the junction-tree size test (aimOutside: sets the tree will not hold). Options and their
 * defaults: `ChooseBatchOptions`.
 */
export function chooseBatch(
  domain: Domain,
  cliques: readonly (readonly string[])[],
  pool: readonly AimCandidate[],
  scores: ArrayLike<number>,
  opts: ChooseBatchOptions,
): string[][] {
  const { rhoMeas, sizeLimitMB, maxBatch, kappa = DEFAULT_DENOISING_FACTOR, split = 'equal', link = 'none', minScore = -Infinity } = opts;
  const maxB = Math.max(1, maxBatch ?? 2 * domain.attrs.length);
  let best: string[][] = [];
  let bestGain = -Infinity;
  const sizeOk = new Map<string, boolean>();
  const pow23 = pool.map((c) => Math.pow(c.cells, 2 / 3));
  // The noise term of candidate k: kappa·sqrt(2/π)·sigma_k·n_k for the batch's split.
  const gains = (b: number, S: number | undefined): number[] => {
    const scale = kappa * SQRT_2_OVER_PI * Math.sqrt((S ?? b) / (2 * rhoMeas));
    return pool.map((c, k) => c.weight * (scores[k] - scale * (S === undefined ? c.cells : pow23[k])));
  };
  const pick = (b: number, gain: readonly number[]): number[] => {
    const order = pool.map((_, k) => k).sort((x, y) => gain[y] - gain[x] || x - y);
    const picks: number[] = [];
    const forest = new AttributeForest();
    if (link === 'forest') for (const q of cliques) forest.join(q);
    for (const k of order) {
      if (picks.length === b) break;
      if (picks.length > 0 && gain[k] <= 0) break;
      const c = pool[k].attrs;
      if (picks.length > 0 && !(scores[k] > minScore)) continue;
      if (picks.some((p) => redundant(pool[p].attrs, c))) continue;
      if (link === 'paths' && c.length > 1 && linkedByPicks(picks.map((p) => pool[p].attrs), c)) continue;
      if (link === 'forest' && forest.closesCycle(c)) continue;
      // A candidate inside a model clique adds no cells (fitsModel's rule): no size check. Without
      // this, a model that already exceeds the bound (the fitted junction tree can come out larger
      // than the hypothetical one it was checked as) admits no second pick, and the epoch's whole
      // measurement budget goes to one marginal.
      if (picks.length > 0 && Number.isFinite(sizeLimitMB) && !insideClique(cliques, c)) {
        // The junction tree's size does not depend on the order of its cliques: one check per set
        // of picks, shared by every batch size b that reaches it.
        const sets = [...picks.map((p) => pool[p].attrs), c];
        const key = sets.map((x) => x.join('\u0001')).sort().join('\u0002');
        let ok = sizeOk.get(key);
        if (ok === undefined) {
          ok = hypotheticalModelSize(domain, [...cliques, ...sets]) * MB_PER_CELL <= sizeLimitMB;
          sizeOk.set(key, ok);
        }
        if (!ok) continue;
      }
      picks.push(k);
      if (link === 'forest') forest.join(c);
    }
    return picks;
  };
  for (const b of batchSizes(maxB)) {
    let gain = gains(b, undefined);
    let picks = pick(b, gain);
    if (split === 'cells') {
      picks = pick(b, gains(b, picks.reduce((a, k) => a + pow23[k], 0)));
      gain = gains(b, picks.reduce((a, k) => a + pow23[k], 0));
    }
    if (picks.length < b && b > 1) break; // no further positive, compatible candidate
    const total = picks.reduce((a, k) => a + gain[k], 0);
    if (total > bestGain) {
      bestGain = total;
      best = picks.map((k) => pool[k].attrs);
    }
  }
  return best;
}

/**
 * The score a candidate needs to be picked with `significantPicks`: z·stddev with
 * z = Φ⁻¹(1 − 1/m) for a release of m scores of noise stddev `stddev`. A candidate the model
 * already explains has a score of mean ~0 (the parties subtract their sampling floor), so of m
 * such candidates one is expected above the threshold (Bonferroni's bound at family-wise rate 1):
 * the greedy batch ranks by gain, and without it any few-cell candidate whose noise alone beats
 * its small noise term kappa·sqrt(2/π)·sigma·n_r gets a slot (docs/synthesis.md: a third of the
 * measured sets held no planted edge). A rule in m, not a tuned constant. Post-processing.
 */
export function significanceThreshold(m: number, stddev: number): number {
  return m > 1 ? normalQuantile(1 - 1 / m) * stddev : -Infinity;
}

/**
 * The `cells` split of a batch's measurement budget `rho` into releases: the sets grouped by cells
 * in factor-8 bins (floor(log2(n)/3): within a bin n^(2/3) varies by at most 4x), each group g at
 * one sigma with rho_g ∝ |g|·(N_g/|g|)^(2/3) (N_g: its cells; the optimum of Σ_g N_g·sigma_g for
 * equal sigma within a group), smallest cells first. The rho_g sum to `rho`.
 */
export function cellsSplit(domain: Domain, sets: readonly (readonly string[])[], rho: number): { sets: string[][]; rho: number }[] {
  const bins = new Map<number, string[][]>();
  for (const s of sets) {
    const bin = Math.floor(Math.log2(domain.size(s)) / 3);
    const g = bins.get(bin) ?? [];
    g.push([...s]);
    bins.set(bin, g);
  }
  const groups = [...bins.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
  const w = groups.map((g) => g.length * Math.pow(g.reduce((a, s) => a + domain.size(s), 0) / g.length, 2 / 3));
  const total = w.reduce((a, x) => a + x, 0);
  return groups.map((g, i) => ({ sets: g, rho: (rho * w[i]) / total }));
}

/**
 * The batch sizes `chooseBatch` tries: every b up to 32, then steps of about 25% up to maxB
 * (always included). Each b costs up to b junction-tree size checks, so trying every b up to
 * 2d costs ~2d² checks (20,000 at 100 columns, ~40 ms each); the total gain varies slowly in b
 * (sigma_b grows like sqrt(b)), so the grid loses little. Tables of up to 16 columns (maxB <= 32)
 * try every b, as before.
 */
export function batchSizes(maxB: number): number[] {
  const out: number[] = [];
  for (let b = 1; b <= Math.min(32, maxB); b++) out.push(b);
  for (let b = 40; b < maxB; b = Math.ceil(b * 1.25)) out.push(b);
  if (maxB > 32) out.push(maxB);
  return out;
}

/**
 * Whether every pair of `c`'s columns is linked by `picks`: inside one pick, or joined through a
 * third column x by two picks (one holding a and x, one x and b). The batch is scored against the
 * model before any of it is measured, so a pair dependent only through x (siblings, a chain
 * a–x–b) scores as high as a planted edge; once a–x and x–b are measured the refitted model holds
 * that dependence, and what it misses is scored again in the next epoch. Post-processing.
 */
export function linkedByPicks(picks: readonly (readonly string[])[], c: readonly string[]): boolean {
  const adj = new Map<string, Set<string>>();
  for (const p of picks)
    for (const a of p) {
      const set = adj.get(a) ?? new Set<string>();
      for (const b of p) if (b !== a) set.add(b);
      adj.set(a, set);
    }
  const linked = (a: string, b: string): boolean => {
    const na = adj.get(a);
    const nb = adj.get(b);
    if (na === undefined || nb === undefined) return false;
    if (na.has(b)) return true;
    for (const x of na) if (nb.has(x)) return true;
    return false;
  };
  for (let i = 0; i < c.length; i++) for (let j = i + 1; j < c.length; j++) if (!linked(c[i], c[j])) return false;
  return true;
}

/** Measuring `p` makes `c` mostly redundant: c inside p, or sharing two attributes with it. */
function redundant(p: readonly string[], c: readonly string[]): boolean {
  let shared = 0;
  for (const a of c) if (p.includes(a)) shared++;
  return shared === c.length || shared >= 2;
}
