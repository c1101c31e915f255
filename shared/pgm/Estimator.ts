// Estimator: the interface both estimators of the model implement (mirrorDescent,
// universalAccelerated): minimise a MeasurementLoss over the models on one junction tree.
import type { BeliefPropagator } from './BeliefPropagation.js';
import type { MeasurementLoss } from './MeasurementLoss.js';
import type { Domain } from './Domain.js';
import type { TwoThreadFit } from './TwoThreadFit.js';

/**
 * What mirror descent needs of inference: the cliques and a map from log-potentials (one per
 * clique) to marginals scaled to `total` — exact (BeliefPropagator on a junction tree) or
 * approximate (LoopyBeliefPropagator, pseudo-marginals).
 */
export interface MarginalOracle {
  readonly domain: Domain;
  readonly cliques: readonly (readonly string[])[];
  run(potentials: readonly Float64Array[], total: number, out: Float64Array[]): void;
}

/** The fitted model on the tree: log-potentials and their calibrated marginals, per clique. */
export interface TreeFit {
  potentials: Float64Array[];
  marginals: Float64Array[];
}

/**
 * Minimises `loss` over the models on `bp.tree`, starting from the log-potentials `theta0` (taken
 * over as a buffer), for at most `iters` iterations; `callback` gets each iteration's loss and
 * stops the fit by returning `false`. `split`: the loss's clique work on two threads (an estimator
 * that cannot use it runs on one; the loss's buffers are then shared memory, which works as any).
 */
export type Estimator = (
  bp: BeliefPropagator,
  loss: MeasurementLoss,
  theta0: Float64Array[],
  total: number,
  iters: number,
  callback: ((iteration: number, loss: number) => boolean | void) | undefined,
  split?: TwoThreadFit,
) => TreeFit;
