// Estimation: fits a graphical model to noisy marginal measurements (Private-PGM, McKenna, Sheldon
// & Miklau, ICML 2019): builds the junction tree and the loss, then runs the chosen estimator.
import type { Domain } from './Domain.js';
import { Factor } from './Factor.js';
import { CliqueVector } from './CliqueVector.js';
import { JunctionTree } from './JunctionTree.js';
import { BeliefPropagator, potentialsFromMarginals } from './BeliefPropagation.js';
import { GraphicalModel } from './GraphicalModel.js';
import { indexMap } from './IndexMap.js';
import { validateMeasurements, type Measurement } from './Measurement.js';
import { MeasurementLoss } from './MeasurementLoss.js';
import type { Estimator } from './Estimator.js';
import { mirrorDescent } from './mirrorDescent.js';
import { universalAccelerated } from './universalAccelerated.js';
import { TWO_THREAD_MIN_CELLS, TwoThreadFit, type FitHelper } from './TwoThreadFit.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

export interface EstimateOptions {
  /** Mirror-descent iterations (default 1000). */
  iters?: number;
  /** Number of records; estimated from the measurements when omitted. */
  total?: number;
  /** Previous model (or its potentials) to start from; AIM refits after every round. */
  warmStart?: GraphicalModel | CliqueVector;
  /** Extra cliques the model must contain besides the measured attribute sets. */
  cliques?: readonly (readonly string[])[];
  /**
   * 'accelerated' (default): Nesterov's universal accelerated method with a backtracking
   * smoothness estimate, entropic (mirror) projection by belief propagation; 'mirror-descent':
   * Private-PGM's Algorithm 1 with an Armijo step.
   */
  method?: 'accelerated' | 'mirror-descent';
  /** Called after each iteration with the loss; return `false` to stop early. */
  callback?: (iteration: number, loss: number) => boolean | void;
  /**
   * A second thread for mirror-descent fits of trees of at least TWO_THREAD_MIN_CELLS cells
   * (TwoThreadFit: the same model bit for bit); unset, or when it cannot attach, one thread.
   */
  helper?: FitHelper;
}

/**
 * Estimate of the number of records from the measurements: each measurement's sum is an
 * unbiased estimate with variance stddev² · cells; they are combined by inverse-variance
 * weighting (as Private-PGM does), floored at 1.
 */
export function estimateTotal(domain: Domain, measurements: readonly Measurement[]): number {
  let num = 0;
  let den = 0;
  for (const m of measurements) {
    let s = 0;
    for (let k = 0; k < m.values.length; k++) s += m.values[k];
    const variance = m.stddev * m.stddev * m.values.length;
    num += s / variance;
    den += 1 / variance;
  }
  return den > 0 ? Math.max(1, num / den) : 1;
}

/** Initial log-potentials on the tree cliques from a warm start (zeros when none). */
function initialPotentials(tree: JunctionTree, warm: GraphicalModel | CliqueVector | undefined): Float64Array[] {
  const d = tree.domain;
  const theta = tree.cliques.map((c) => new Float64Array(d.size(c)));
  if (warm === undefined) return theta;
  const pots = warm instanceof GraphicalModel ? warm.potentials : warm;
  const contained = pots.factors.every((f) => tree.cliqueContaining(f.attrs) >= 0);
  if (contained) {
    for (const f of pots.factors) {
      const i = tree.cliqueContaining(f.attrs);
      const map = indexMap(d, tree.cliques[i], f.attrs);
      const t = theta[i];
      const v = f.values;
      for (let k = 0; k < t.length; k++) t[k] += v[map[k]];
    }
    return theta;
  }
  if (!(warm instanceof GraphicalModel)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'warm-start potentials do not fit the new junction tree; pass the GraphicalModel instead');
  }
  // Junction-tree projection of the previous model: theta_c = log mu_c − log mu_sep(c).
  return potentialsFromMarginals(tree, tree.cliques.map((c) => warm.project(c)));
}

/**
 * Fit p minimising L(p) = sum_i 1/(2 stddev_i²) · ||M_{attrs_i}(p) − y_i||² over graphical
 * models on the junction tree of the measured attribute sets (Private-PGM's noise-weighted L2
 * loss: each residual is scaled by 1/stddev; `MeasurementLoss`), with `universalAccelerated`
 * (default) or `mirrorDescent`. Repeated measurements of one attribute set are merged into
 * their inverse-variance weighted mean (same loss up to a constant, which is added back).
 */
export function estimate(domain: Domain, measurements: readonly Measurement[], opts: EstimateOptions = {}): GraphicalModel {
  validateMeasurements(domain, measurements);
  const iters = opts.iters ?? 1000;
  const extra = opts.cliques ?? [];
  const tree = JunctionTree.build(domain, [...measurements.map((m) => m.attrs), ...extra.map((c) => domain.canonical(c))]);
  const total = opts.total ?? estimateTotal(domain, measurements);
  if (!(total > 0) || !Number.isFinite(total)) throw new FedsynthError(ErrorCode.InvalidArgument, 'estimate: total must be positive', { total });
  const accelerated = (opts.method ?? 'accelerated') === 'accelerated' && measurements.length > 0;
  const twoThreads = opts.helper !== undefined && !accelerated && measurements.length > 0 && iters > 0 && tree.size() >= TWO_THREAD_MIN_CELLS;
  const loss = new MeasurementLoss(tree, measurements, twoThreads ? TwoThreadFit.sharedAlloc : undefined);
  const bp = new BeliefPropagator(tree);
  const theta = initialPotentials(tree, opts.warmStart);
  const estimator: Estimator = accelerated ? universalAccelerated : mirrorDescent;
  let split = twoThreads ? TwoThreadFit.forTree(tree, loss) : undefined;
  if (split !== undefined && !opts.helper!.attach(split)) split = undefined;
  let fit;
  try {
    fit = estimator(bp, loss, theta, total, iters, opts.callback, split);
  } catch (e) {
    split?.barrier.abort();
    throw e;
  }
  split?.end();
  const potentials = new CliqueVector(tree.cliques.map((c, i) => new Factor(domain, c, fit.potentials[i])));
  const marginals = new CliqueVector(tree.cliques.map((c, i) => new Factor(domain, c, fit.marginals[i])));
  return new GraphicalModel(domain, tree, potentials, total, marginals);
}
