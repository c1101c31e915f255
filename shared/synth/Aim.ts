// Aim: federated AIM (McKenna, Mullins, Sheldon, Miklau 2022, "AIM: An Adaptive and Iterative
// Mechanism for Differentially Private Synthetic Data", PVLDB 15(11)): options to one schedule.
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import type { Measurement } from '../pgm/Measurement.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';
import type { FederatedOracle } from './FederatedOracle.js';
import { aimCandidates, kWaySets } from './AimCandidates.js';
import type { AimOptions } from './AimOptions.js';
import { aimEpochs } from './aimEpochs.js';
import { aimRounds } from './aimRounds.js';

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
    conditionPairsFirst: opts.conditionPairsFirst,
    samplingCorrection: opts.samplingCorrection ?? true,
    maxReferenceCells: 4 * (opts.maxCells ?? 10000),
    maxBatch: opts.maxBatch,
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
  return { model: r.model, measurements: r.measurements, selected: r.selected, rhoUsed: r.rhoUsed, condition: r.condition, sample: (rows, rng) => r.model.sample(rows, rng) };
}
