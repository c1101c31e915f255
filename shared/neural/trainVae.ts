// trainVae: DP-SGD on one process for measurement and tests: Poisson sampling at rate q, clipped
// gradient sums, a caller-supplied privatizer (the DP noise), the server's Adam step; rounds in order.
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat } from '../dp/random/uniform.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { TabularRows } from './TabularEncoding.js';
import type { VaeSpec } from './TabularVae.js';
import { clippedGradientSum } from './clippedGradientSum.js';
import { adamState, serverStep, DEFAULT_ADAM, type AdamOptions, type AdamState } from './serverAdam.js';

export interface TrainVaeOptions {
  readonly spec: VaeSpec;
  readonly params: Float32Array;
  readonly rows: TabularRows;
  readonly rounds: number;
  /** Poisson sampling rate q: each row joins a round independently with probability q. */
  readonly sampleRate: number;
  readonly clipNorm: number;
  /**
   * Turns the clipped sum into the released noisy sum (the DP mechanism: e.g. the distributed
   * discrete Gaussian over secure aggregation). Identity means no privacy.
   */
  readonly privatize: (sum: Float64Array, round: number) => Float64Array;
  readonly adam?: AdamOptions;
  /** Sampling of rows and of the reparameterization noise (simulation randomness). */
  readonly rng: RandomSource;
  readonly onRound?: (round: number, info: { examples: number; clipped: number }) => void;
}

/**
 * Runs `rounds` steps. The noisy sum is divided by the expected batch size q*N, not the realised
 * one (the realised count is not released: Abadi et al. 2016, McMahan et al. 2018).
 */
export async function trainVae(o: TrainVaeOptions): Promise<{ params: Float32Array; state: AdamState }> {
  if (!(o.sampleRate > 0 && o.sampleRate <= 1)) throw new FedsynthError(ErrorCode.InvalidArgument, `trainVae: sampleRate must be in (0, 1], got ${o.sampleRate}`);
  let params = o.params;
  let state = adamState(params.length);
  const expected = o.sampleRate * o.rows.rows;
  for (let t = 1; t <= o.rounds; t++) {
    const batch = poissonSample(o.rows, o.sampleRate, o.rng);
    const c = await clippedGradientSum(o.spec, params, batch, o.clipNorm, o.rng);
    const noisy = o.privatize(c.sum, t);
    const mean = noisy.map((v) => v / expected);
    ({ params, state } = serverStep(params, state, mean, o.adam ?? DEFAULT_ADAM));
    o.onRound?.(t, { examples: c.examples, clipped: c.clipped });
  }
  return { params, state };
}

/** Each row independently with probability q (float Bernoulli: simulation only). */
export function poissonSample(rows: TabularRows, q: number, rng: RandomSource): TabularRows {
  const idx: number[] = [];
  for (let i = 0; i < rows.rows; i++) if (uniformFloat(rng) < q) idx.push(i);
  return selectTabularRows(rows, idx);
}

/** The rows at `indices`, in that order. */
export function selectTabularRows(rows: TabularRows, indices: readonly number[]): TabularRows {
  const pick = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
    const out = make(indices.length);
    indices.forEach((i, k) => {
      out[k] = a[i];
    });
    return out;
  };
  return {
    rows: indices.length,
    codes: rows.codes.map((c) => pick(c, (n) => new Int32Array(n))),
    values: rows.values.map((v) => v && pick(v, (n) => new Float64Array(n))),
  };
}
