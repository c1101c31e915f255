// AimOptions: what a caller of federated AIM may set — options common to both schedules, and a
// union over the schedules (`epochs`, the default, or the reference `rounds`) with their own knobs.
import type { FitHelper } from '../pgm/TwoThreadFit.js';
import type { MeasurementSplit } from './aimEpochs.js';

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
 *   annealing), with the `selection` path below (aimRounds.ts).
 */
export type AimSchedule = 'epochs' | 'rounds';

/** Options of both schedules. */
export interface AimCommonOptions {
  /** Total zCDP budget; never exceeded. */
  readonly rho: number;
  /** Workload (attribute sets); default all 3-way sets with at most `maxCells` cells. */
  readonly workload?: readonly (readonly string[])[];
  /** Cell bound of the default workload (default 10,000 as the reference script). */
  readonly maxCells?: number;
  /** Model-size bound in MB (rounds: 80, as AIM; epochs: 2 per 14 columns and at least 2, `epochModelSizeMB`, which keeps fits fast — batches grow the junction tree quickly). */
  readonly maxModelSizeMB?: number;
  /** Nominal rounds T (default 16·d, as AIM). */
  readonly rounds?: number;
  /** Estimator iterations per fit (default 1000, as the reference; warm-started; the epoch schedule's intermediate fits use a quarter). */
  readonly iters?: number;
  /** Share of a round's (epoch's) budget spent on selection (rounds: 0.1 as AIM; epochs: 0.25). */
  readonly selectionShare?: number;
  /** Reproducibility seed (used only for tie-free determinism; selection itself is argmax). */
  readonly seed?: string;
  /** A second thread for the model fits (estimate's `helper`; the same model, sooner on two cores). */
  readonly fitHelper?: FitHelper;
  /** Progress callback (round number, chosen sets, rho used so far). */
  readonly onRound?: (info: { round: number; chosen: readonly (readonly string[])[]; rhoUsed: number; sigma: number }) => void;
}

/** How the epoch schedule's scores handle parties skewed on a column (AimEpochOptions `heterogeneity`). */
export type AimHeterogeneity = 'joint' | 'condition' | 'selfCondition' | 'none';

/** The default of AimEpochOptions `heterogeneity` (docs/synthesis.md: within 1.05x one party on every skewed table measured). */
export const DEFAULT_AIM_HETEROGENEITY: AimHeterogeneity = 'joint';

/** The epoch schedule (the default: `schedule` may be left out). */
export interface AimEpochOptions extends AimCommonOptions {
  readonly schedule?: 'epochs';
  /** Number of selection epochs K (default 3; measured better than 5 and 8). */
  readonly epochs?: number;
  /** The estimator of every fit (default 'mirror-descent', as the reference AIM). */
  readonly estimator?: 'accelerated' | 'mirror-descent';
  /** The first epoch scores only candidates of at most this many attributes (default 2; 3 = all of Adult's workload). */
  readonly firstEpochMaxWay?: number;
  /** How many epochs `firstEpochMaxWay` holds for (default 1; 2 with `firstBatchForest`: a pairs epoch against the fitted tree before triples). */
  readonly maxWayEpochs?: number;
  /** Sigma falls at most by half per epoch, extra epochs take the rest (default false). */
  readonly annealing?: boolean;
  /** Prune candidates that cannot beat their noise (default true). */
  readonly prune?: boolean;
  /** Most candidates one selection release scores (default 10,000; aimEpochs `maxPool`: a larger pool keeps the interacting, then the strongest-supported candidates). */
  readonly maxPool?: number;
  /** Most marginals measured per epoch (default 2·d). */
  readonly maxBatch?: number;
  /** How an epoch's measurement budget is spread over its batch: `equal` (default) or `cells` (rho ∝ cells^(2/3); aimEpochs `MeasurementSplit`). */
  readonly measurementSplit?: MeasurementSplit;
  /** A batch skips candidates whose column pairs its earlier picks link directly or through one column (aimEpochs `linkedByPicks`; default false). */
  readonly pathRedundancy?: boolean;
  /** The first epoch's batch is a maximum-weight spanning forest over the noisy gains (Chow-Liu; aimEpochs `BatchLink` `forest`; default false). */
  readonly firstBatchForest?: boolean;
  /** Picks after a batch's first need a score above Φ⁻¹(1 − 1/m) noise stddevs of the m-score release (aimEpochs `significanceThreshold`; default false). */
  readonly significantPicks?: boolean;
  /** The fitted model's error on a measured marginal as a share of AIM's noise term (default 0.5). */
  readonly denoisingFactor?: number;
  /**
   * After the probe finds a skewed column Y (aimEpochs `AimEpochSettings.heterogeneity`):
   * - `joint` (default): each candidate without Y conditions on its most skewed member and Y
   *   (aimEpochs `jointConditionFor`), one holding Y on Y alone; 1-ways leave the score releases;
   *   Poisson floor unless `multinomialFloor`.
   * - `condition` (the default before session 11): every party reference conditioned on Y.
   * - `selfCondition`: each candidate on its own most skewed member (aimEpochs `selfConditionFor`).
   * - `none`: no probe.
   * docs/synthesis.md ("The joint condition as the default"): why `joint` is the default, measured.
   */
  readonly heterogeneity?: AimHeterogeneity;
  /** aimEpochs `selfConditionUntilKnown` (default false; with `joint` or `selfCondition`). */
  readonly selfConditionUntilKnown?: boolean;
  /** aimEpochs `jointConditionUnknown` (default false; only with `joint`). */
  readonly jointConditionUnknown?: boolean;
  /** aimEpochs `multinomialFloor` (with `joint` or `selfCondition`; default aimEpochs `defaultMultinomialFloor`: false with `joint`, true with `selfCondition`). */
  readonly multinomialFloor?: boolean;
  /** aimEpochs `marginAddBack` (default true; with `joint` or `selfCondition`). */
  readonly marginAddBack?: boolean;
  /** Share of rho for the heterogeneity probe (default 0.02). */
  readonly probeShare?: number;
  /** With a conditioning column Y, score and measure the pairs {a, Y} first (default false; aimEpochs `conditionPairsStep`). */
  readonly conditionPairsFirst?: boolean;
  /** Parties subtract their expected sampling deviation (default true; sensitivity 3). */
  readonly samplingCorrection?: boolean;
  /**
   * Share of rho for one last epoch over candidates outside the junction tree (aimOutside.ts;
   * default 0): their measurements reach only the synthetic rows, through the row fit.
   */
  readonly outsideShare?: number;
  /**
   * Post-processing of every sampled chunk toward all measurements: 'reweight' (reweightRows.ts:
   * mirror descent on row weights, then resampling), 'search' (fitRowsToMeasurements.ts: record-level
   * local search) or 'none'. Default 'reweight' when the outside epoch measured something, else 'none'.
   */
  readonly rowFit?: 'none' | 'search' | 'reweight';
  /** Iterations of 'reweight' (default 200) or sweeps of 'search' (default 4). */
  readonly rowFitIters?: number;
  /** 'reweight' draws this many times the requested rows before resampling (default 4). */
  readonly rowFitPool?: number;
}

/** The reference AIM loop, one selection release per round. */
export interface AimRoundOptions extends AimCommonOptions {
  readonly schedule: 'rounds';
  /** Selection path (default `localScores`). */
  readonly selection?: AimSelection;
  /** Candidates measured per selection release (default 1, as AIM). */
  readonly batch?: number;
}

export type AimOptions = AimEpochOptions | AimRoundOptions;
