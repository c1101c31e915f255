// calibrateOutputBias: after training, shifts each softmax head's output bias so that the decoder's
// marginal of every column matches released 1-way probabilities (iterative scaling on the prior).
import type { RandomSource } from '../dp/random/RandomSource.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { vaeLayout, type VaeSpec } from './TabularVae.js';
import { decoderOutputsInChunks } from './sampleVaeRows.js';
import { drawNormals } from './clippedGradientSum.js';
import { readyTf } from './tfRuntime.js';

export interface CalibrationOptions {
  /** Latent draws z_1..z_M ~ N(0, I) the decoder's marginal is averaged over (common to every iteration). */
  readonly latentSamples: number;
  readonly iterations: number;
  /** Target probabilities are floored at floor / |dom j| (a logit of log 0 is not finite). */
  readonly floor: number;
  /**
   * The latent draws themselves [M x latent], row-major, instead of `latentSamples` fresh ones: the
   * draws the rows will be sampled from (sampleVaeRows `latents`), so that the calibrated marginal is
   * the sample's own expected 1-way marginal, without Monte Carlo error between the two.
   */
  readonly latents?: Float32Array;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = { latentSamples: 4096, iterations: 30, floor: 1e-4 };

/**
 * The sampler draws code k of column j with probability p_j(k) = E_z[softmax(h_j(z) + d_j)_k]; only
 * the output bias shift d_j moves column j's head, so each column is a separate problem. Iterative
 * scaling d_j(k) <- d_j(k) + log(t_j(k) / p_j(k)) (Darroch & Ratcliff 1972; for a single head with
 * fixed z it is the fixed point of a log-linear model's marginal constraint) with p_j estimated on M
 * common latent draws, so the sampler's 1-way marginals match the targets t_j up to Monte Carlo
 * error. Inputs are the trained weights and a DP release (e.g. consistentOneWays of the noisy 1-way
 * marginals): post-processing, no privacy cost. `null` leaves a column as trained. Returns new weights.
 */
export async function calibrateOutputBias(
  spec: VaeSpec,
  params: Float32Array,
  targets: readonly (ArrayLike<number> | null)[],
  rng: RandomSource,
  options: CalibrationOptions = DEFAULT_CALIBRATION,
): Promise<Float32Array> {
  const enc = spec.encoding;
  if (targets.length !== enc.columns.length) throw new FedsynthError(ErrorCode.InvalidArgument, `calibrateOutputBias: ${targets.length} targets for ${enc.columns.length} columns`);
  await readyTf();
  const layout = vaeLayout(spec);
  const latents = options.latents ?? drawNormals(rng, options.latentSamples * spec.latent);
  const m = latents.length / spec.latent;
  if (!(Number.isInteger(m) && m > 0)) throw new FedsynthError(ErrorCode.InvalidArgument, `calibrateOutputBias: ${latents.length} latent entries are not rows of ${spec.latent}`);
  const out = decoderOutputsInChunks(spec, params, latents, m);
  const last = layout.layers[layout.layers.length - 1];
  const width = last.outputs;
  const biasStart = last.offset + last.inputs * last.outputs;
  const calibrated = Float32Array.from(params);
  enc.columns.forEach((block, j) => {
    const t = targets[j];
    if (t === null) return;
    if (t.length !== block.size) throw new FedsynthError(ErrorCode.InvalidArgument, `calibrateOutputBias: column ${block.name} has ${block.size} codes, target ${t.length}`);
    const size = block.size;
    const start = enc.codeStart[j];
    let tSum = 0;
    for (let k = 0; k < size; k++) tSum += Math.max(0, t[k]);
    const target = Float64Array.from({ length: size }, (_, k) => Math.max(options.floor / size, tSum > 0 ? Math.max(0, t[k]) / tSum : 1 / size));
    const d = new Float64Array(size);
    const p = new Float64Array(size);
    const e = new Float64Array(size);
    for (let it = 0; it < options.iterations; it++) {
      p.fill(0);
      for (let r = 0; r < m; r++) {
        const row = r * width + start;
        let max = -Infinity;
        for (let k = 0; k < size; k++) max = Math.max(max, out[row + k] + d[k]);
        let z = 0;
        for (let k = 0; k < size; k++) z += e[k] = Math.exp(out[row + k] + d[k] - max);
        for (let k = 0; k < size; k++) p[k] += e[k] / z;
      }
      for (let k = 0; k < size; k++) d[k] += Math.log(target[k] / Math.max(p[k] / m, 1e-300));
    }
    for (let k = 0; k < size; k++) calibrated[biasStart + start + k] += d[k];
  });
  return calibrated;
}
