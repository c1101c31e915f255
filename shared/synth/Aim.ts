// Aim: federated AIM (McKenna, Mullins, Sheldon, Miklau 2022, "AIM: An Adaptive and Iterative
// Mechanism for Differentially Private Synthetic Data", PVLDB 15(11)): options to one schedule.
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';
import type { FederatedOracle } from './FederatedOracle.js';
import { aimCandidates, kWaySets } from './AimCandidates.js';
import { type AimOptions, DEFAULT_AIM_HETEROGENEITY } from './AimOptions.js';
import { aimEpochs } from './aimEpochs.js';
import { aimRounds } from './aimRounds.js';
import { aimOutside } from './aimOutside.js';
import { fitRowsToMeasurements } from './fitRowsToMeasurements.js';
import { reweightRows, resampleRows } from './reweightRows.js';

export { aimCandidates, kWaySets } from './AimCandidates.js';

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

/** Columns per 2 MB of the epoch schedule's default model bound (Adult's width, where 2 MB was measured). */
const COLUMNS_PER_2MB = 14;

/**
 * The epoch schedule's default model-size bound: 2 MB per 14 columns, never below 2 MB. A junction
 * tree over d columns has at most d cliques, so a bound fixed in MB gives each column a share that
 * falls like 1/d: at 40 and 100 columns the 2 MB model was full (262,111 of 262,144 cells) and
 * wide tables were starved of dependencies. The bound grows with d instead, keeping ~18,700 cells
 * per column (fit and party projection cost grow linearly in d with it); tables of up to 14
 * columns keep 2 MB (Adult's runs are unchanged). Measured in docs/synthesis.md.
 */
export function epochModelSizeMB(columns: number): number {
  return 2 * Math.max(1, columns / COLUMNS_PER_2MB);
}

/**
 * Federated AIM: builds the candidates from the workload, resolves the defaults of the chosen
 * schedule and runs it — `aimEpochs` (default) or the reference loop `aimRounds`.
 */
export async function aim(oracle: FederatedOracle, opts: AimOptions): Promise<AimResult> {
  const domain = oracle.domain;
  const d = domain.attrs.length;
  const rho = opts.rho;
  const workload = opts.workload ?? kWaySets(domain, Math.min(3, d), opts.maxCells ?? 10000);
  if (workload.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'aim: empty workload');
  const candidates = aimCandidates(domain, workload);
  const T = opts.rounds ?? 16 * d;
  const iters = opts.iters ?? 1000;
  if (opts.schedule === 'rounds') {
    const r = await aimRounds(oracle, {
      rho,
      candidates,
      rounds: T,
      iters,
      maxModelSizeMB: opts.maxModelSizeMB ?? 80,
      batch: Math.max(1, Math.floor(opts.batch ?? 1)),
      selectionShare: opts.selectionShare ?? 0.1,
      selection: opts.selection ?? 'localScores',
      onRound: opts.onRound,
    });
    return { ...r, sample: (rows, rng) => r.model.sample(rows, rng) };
  }
  const outsideShare = opts.outsideShare ?? 0;
  const r = await aimEpochs(oracle, {
    rho: rho * (1 - outsideShare),
    candidates,
    rounds: T,
    iters,
    maxModelSizeMB: opts.maxModelSizeMB ?? epochModelSizeMB(d),
    epochs: Math.max(1, Math.floor(opts.epochs ?? 3)),
    selectionShare: opts.selectionShare ?? 0.25,
    // The joint condition {a, Y} with the Poisson floor (session 11): within 1.05x one party on every
    // skewed table measured, where conditioning on Y alone was up to 1.16x; Adult's six-seed mean as
    // before (docs/synthesis.md "The joint condition as the default").
    heterogeneity: opts.heterogeneity ?? DEFAULT_AIM_HETEROGENEITY,
    selfConditionUntilKnown: opts.selfConditionUntilKnown,
    jointConditionUnknown: opts.jointConditionUnknown,
    multinomialFloor: opts.multinomialFloor,
    marginAddBack: opts.marginAddBack,
    probeShare: opts.probeShare ?? 0.02,
    conditionPairsFirst: opts.conditionPairsFirst,
    samplingCorrection: opts.samplingCorrection ?? true,
    maxReferenceCells: 4 * (opts.maxCells ?? 10000),
    maxBatch: opts.maxBatch,
    measurementSplit: opts.measurementSplit,
    pathRedundancy: opts.pathRedundancy,
    firstBatchForest: opts.firstBatchForest,
    maxWayEpochs: opts.maxWayEpochs,
    significantPicks: opts.significantPicks,
    denoisingFactor: opts.denoisingFactor,
    prune: opts.prune,
    maxPool: opts.maxPool,
    annealing: opts.annealing,
    // Pairs first (as MST): the first release scores only 1- and 2-way candidates, so its noise
    // is spread over ~d²/2 entries instead of ~d³/6; 3-ways compete from the second epoch on.
    firstEpochMaxWay: opts.firstEpochMaxWay ?? 2,
    // Private-PGM's mirror descent, as the reference AIM: on Adult at eps 1 (seeds 1, 2) it gave
    // tv3 0.0917 / 0.0893 against 0.0963 / 0.0965 for the accelerated estimator, whose fits
    // reach a lower loss (it fits the noise more closely; docs/synthesis.md).
    estimator: opts.estimator ?? 'mirror-descent',
    fitHelper: opts.fitHelper,
    onRound: opts.onRound,
  });
  // One more epoch over the sets the junction tree cannot hold (aimOutside), with what remains.
  const outside =
    outsideShare > 0
      ? await aimOutside(oracle, r.model, r.measurements, {
          rho: rho - r.rhoUsed,
          candidates,
          selectionShare: opts.selectionShare ?? 0.25,
          condition: r.condition,
          maxReferenceCells: 4 * (opts.maxCells ?? 10000),
          samplingCorrection: opts.samplingCorrection ?? true,
          maxBatch: opts.maxBatch,
          maxPool: opts.maxPool,
          denoisingFactor: opts.denoisingFactor,
        })
      : { measurements: [], rhoUsed: 0 };
  const measurements = [...r.measurements, ...outside.measurements];
  const rowFit = opts.rowFit ?? (outside.measurements.length > 0 ? 'reweight' : 'none');
  // Post-processing of the released measurements only: each chunk of rows drawn from the model is
  // moved toward every measured marginal, on the sampler's own stream — reweighted and resampled
  // (reweightRows) or searched cell by cell (fitRowsToMeasurements).
  const sample = (rows: number, rng: RandomSource): Int32Array[] => {
    if (rowFit === 'reweight') {
      // A pool of several times the rows, tilted no further than `rows` effective rows: the
      // resample then repeats few rows (repeats add sampling noise to every marginal).
      const pool = r.model.sample(rows * (opts.rowFitPool ?? 4), rng);
      const { weights } = reweightRows(domain, pool, measurements, { total: r.model.total, iters: opts.rowFitIters, minEffectiveRows: rows });
      return resampleRows(pool, weights, rows, rng);
    }
    const cols = r.model.sample(rows, rng);
    if (rowFit === 'search') fitRowsToMeasurements(domain, cols, measurements, { total: r.model.total, rng, sweeps: opts.rowFitIters ?? 4 });
    return cols;
  };
  return { model: r.model, measurements, selected: [...r.selected, ...outside.measurements.map((m) => [...m.attrs])], rhoUsed: r.rhoUsed + outside.rhoUsed, condition: r.condition, sample };
}
