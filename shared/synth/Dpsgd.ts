// Dpsgd: the coordinator's side of the gradient path (mechanism dpsgd): noisy 1-way marginals (row
// count, warm start), T federated DP-SGD rounds over FederatedOracle.gradientSum with server Adam, sampling.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { noiseMultiplierFor } from '../dp/accounting/noiseMultiplierFor.js';
import { subsampledZcdpLoss } from '../dp/accounting/poissonSubsampledRdp.js';
import { composeLosses, repeatLoss, zcdpLoss, type PrivacyLoss } from '../dp/accounting/PrivacyLoss.js';
import { epsilonFromLoss } from '../dp/accounting/rdpConversion.js';
import { gradientRoundLoss } from '../dp/gradient/gradientRoundLoss.js';
import { initParams, vaeLayout, type VaeSpec } from '../neural/TabularVae.js';
import { adamState, serverStep } from '../neural/serverAdam.js';
import { sampleVaeRows } from '../neural/sampleVaeRows.js';
import { consistentOneWays } from '../neural/consistentOneWays.js';
import { warmStartOutputBias } from '../neural/warmStartOutputBias.js';
import { calibrateOutputBias, DEFAULT_CALIBRATION } from '../neural/calibrateOutputBias.js';
import { drawNormals } from '../neural/clippedGradientSum.js';
import type { TabularRows } from '../neural/TabularEncoding.js';
import type { DpsgdTraining } from '../study/StudySpec.js';
import type { FederatedOracle } from './FederatedOracle.js';

/**
 * Share of the study's rho spent on every column's noisy 1-way marginal, released like the marginal
 * path's (FederatedOracle.measure: one `marginals` secure sum, L2 sensitivity sqrt(columns), each
 * party charges it). Post-processing gives the row count N_hat (consistentOneWays), the decoder's
 * initial output biases (warmStartOutputBias) and the calibration of its 1-way marginals before
 * sampling (calibrateOutputBias). The rest of the budget goes to the gradient rounds
 * (gradientEpsilonTarget). 10%: docs/synthesis.md "Using the released 1-way marginals".
 */
export const ONE_WAY_SHARE = 0.1;

export interface DpsgdOptions {
  readonly training: DpsgdTraining;
  readonly spec: VaeSpec;
  /** The study budget: zCDP rho (as every accountant holds it) read at `delta`. */
  readonly rho: number;
  readonly delta: number;
  /** Initial weights come from seededRandomSource(seed, 'dpsgd/init') (public: no data involved). */
  readonly seed: string;
  readonly rows: number;
  readonly sampleRng: RandomSource;
  /** After each round: the round, the total, and the epsilon (at delta) spent so far. */
  readonly onRound?: (round: number, rounds: number, epsilonSpent: number) => void;
  readonly onFit?: () => void;
}

export interface DpsgdResult {
  readonly params: Float32Array;
  readonly synthetic: TabularRows;
  /** The noisy total row count the mean divides by (public: a DP release). */
  readonly rowsEstimate: number;
  readonly noiseMultiplier: number;
  readonly epsilonSpent: number;
  /** The budget split: zCDP rho of the 1-way marginals, and the epsilon target of the T gradient rounds (at delta). */
  readonly oneWayRho: number;
  readonly gradientEpsilon: number;
}

/**
 * The largest epsilon target for the T gradient rounds such that the row count's zCDP rho composed
 * with T Poisson-subsampled rounds of rho = 1/(2 z^2) stays within the study's (epsilon, delta):
 * bisection on the target (planGradientRound then makes every round's actual loss at most that
 * round's share, each agent re-checks it, and the study's accountant charges the actual curves).
 */
export function gradientEpsilonTarget(budget: PrivacyLoss, countRho: number, training: DpsgdTraining, delta: number): { epsilon: number; noiseMultiplier: number } {
  const total = epsilonFromLoss(budget, delta);
  const fits = (eps: number): { ok: boolean; z: number } => {
    const z = noiseMultiplierFor({ epsilon: eps, delta, sampleRate: training.sampleRate, steps: training.rounds });
    const loss = composeLosses(zcdpLoss(countRho), repeatLoss(subsampledZcdpLoss(training.sampleRate, 1 / (2 * z * z)), training.rounds));
    return { ok: epsilonFromLoss(loss, delta) <= total * (1 - 1e-9), z };
  };
  let lo = 0;
  let hi = total;
  let best: { epsilon: number; noiseMultiplier: number } | undefined;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    const r = fits(mid);
    if (r.ok) {
      lo = mid;
      best = { epsilon: mid, noiseMultiplier: r.z };
    } else hi = mid;
  }
  if (best === undefined) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'dpsgd: the budget does not cover the row count and one gradient round', { rounds: training.rounds });
  return best;
}

/**
 * Runs the training. First every column's noisy 1-way marginal (ONE_WAY_SHARE of rho): N_hat and
 * the warm start of the decoder's output biases. Round t sends the current weights; the oracle returns the decoded noisy sum of
 * clipped per-example gradients, divided here by the PUBLIC expected batch size q * N_hat (the
 * realised batch size is never released: Abadi et al. 2016, McMahan et al. 2018) and fed to Adam
 * (post-processing). Then the output biases are calibrated to the released 1-way marginals on the
 * latent draws of the `rows` synthetic rows, which are then sampled from the decoder (sampleVaeRows,
 * systematic); `params` are the calibrated weights.
 */
export async function dpsgd(oracle: FederatedOracle, o: DpsgdOptions): Promise<DpsgdResult> {
  const gradientSum = oracle.gradientSum?.bind(oracle);
  if (gradientSum === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, 'dpsgd: this oracle has no gradient rounds');
  const t = o.training;
  const oneWayRho = ONE_WAY_SHARE * o.rho;
  const columns = o.spec.encoding.columns;
  const domain = oracle.domain;
  if (domain.attrs.length !== columns.length || columns.some((c, j) => c.name !== domain.attrs[j] || c.size !== domain.shape[j])) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'dpsgd: the model\'s columns are not the consortium domain\'s (names and sizes in order)');
  }
  const oneWays = consistentOneWays((await oracle.measure(domain.attrs.map((a) => [a]), oneWayRho, 'dpsgd/one-way')).map((m) => m.values));
  const rowsEstimate = oneWays.total;
  const target = gradientEpsilonTarget(zcdpLoss(o.rho), oneWayRho, t, o.delta);
  const dimension = vaeLayout(o.spec).size;
  let params = warmStartOutputBias(o.spec, initParams(o.spec, seededRandomSource(o.seed, 'dpsgd/init')), oneWays.probabilities);
  let state = adamState(dimension);
  const expected = t.sampleRate * rowsEstimate;
  // Each round's public rotation seed, from the study seed (a seeded run repeats every bit).
  const rotation = seededRandomSource(o.seed, 'dpsgd/rotation');
  let spent: PrivacyLoss = zcdpLoss(oneWayRho);
  for (let round = 1; round <= t.rounds; round++) {
    const res = await gradientSum(
      {
        round,
        weights: params,
        planRequest: { dimension, clipNorm: t.clipNorm, sampleRate: t.sampleRate, rounds: t.rounds, epsilon: target.epsilon, delta: o.delta, bits: 32, expectedBatchSize: expected, rotationSeed: Array.from(rotation.nextBytes(16), (b) => b.toString(16).padStart(2, '0')).join('') },
      },
      `dpsgd/round/${round}`,
    );
    const mean = res.sum.map((v) => v / expected);
    ({ params, state } = serverStep(params, state, mean, { learningRate: t.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }));
    spent = composeLosses(spent, gradientRoundLoss(res.plan));
    o.onRound?.(round, t.rounds, epsilonFromLoss(spent, o.delta));
  }
  o.onFit?.();
  // Calibrated on the very latents the rows are then sampled from (no Monte Carlo gap between the
  // calibrated and the sampled marginal); the systematic sampler adds at most one row per code.
  const latents = o.rows > 0 ? drawNormals(o.sampleRng, o.rows * o.spec.latent) : undefined;
  params = await calibrateOutputBias(o.spec, params, oneWays.probabilities, o.sampleRng, { ...DEFAULT_CALIBRATION, latents });
  const synthetic = await sampleVaeRows(o.spec, params, o.rows, o.sampleRng, { latents });
  return { params, synthetic, rowsEstimate, noiseMultiplier: target.noiseMultiplier, epsilonSpent: epsilonFromLoss(spent, o.delta), oneWayRho, gradientEpsilon: target.epsilon };
}
