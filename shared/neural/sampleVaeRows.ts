// sampleVaeRows: synthetic rows from a trained TabularVae's decoder (z ~ N(0, I), a code drawn from
// each softmax head, a bin offset from its Gaussian head), as TVAE samples (Xu et al. 2019).
import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat } from '../dp/random/uniform.js';
import { standardNormal } from '../data/simulationSamplers.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { TabularEncoding, type TabularRows } from './TabularEncoding.js';
import { decoderWidth, paramTensors, vaeLayout, type VaeLayout, type VaeSpec } from './TabularVae.js';
import { offsetMeanIndex, offsetMeanLayout } from './OffsetMeans.js';
import { drawNormals } from './clippedGradientSum.js';
import { readyTf } from './tfRuntime.js';

const CHUNK = 1024;

/**
 * How the codes of the n rows are drawn. Under both, row r's code of column j is an exact draw from
 * its head softmax(h_j(z_r)). 'independent': every row on its own (multinomial column counts).
 * 'systematic' (default): per column, code by code (k = 0, 1, ...), the rows still without a code
 * take code k by randomised systematic sampling (Madow 1949; one uniform per code) with their
 * conditional probabilities p_r(k) / (1 - sum_{i<k} p_r(i)). The first code's count is within one
 * of its expected count sum_r p_r(0); a later code's count is within one of the sum over the rows
 * left, which varies only through which rows the earlier codes took (about 150x less squared error
 * than multinomial counts in sampleVaeRows.test). The variance reduction the marginal path's
 * AncestralSampler gets the same way. The rows' latents are i.i.d., so their order is random already.
 */
export type VaeSampleMethod = 'systematic' | 'independent';

export interface VaeSampleOptions {
  readonly method?: VaeSampleMethod;
  /** z_1..z_n [n x latent], row-major (e.g. the draws calibrateOutputBias was fitted on); default: drawn from `rng`. */
  readonly latents?: Float32Array;
}

/** `n` rows; a deterministic function of (params, rng state, options). */
export async function sampleVaeRows(spec: VaeSpec, params: Float32Array, n: number, rng: RandomSource, opts: VaeSampleOptions = {}): Promise<TabularRows> {
  if (!Number.isInteger(n) || n < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `sampleVaeRows: n must be a non-negative integer, got ${n}`);
  if (opts.latents !== undefined && opts.latents.length !== n * spec.latent) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `sampleVaeRows: ${opts.latents.length} latent entries for ${n} rows of ${spec.latent}`);
  }
  await readyTf();
  const enc = spec.encoding;
  const codes = enc.columns.map(() => new Int32Array(n));
  const values = enc.columns.map((c) => (c.kind === 'continuous' ? new Float64Array(n) : null));
  const latents = opts.latents ?? drawNormals(rng, n * spec.latent);
  const width = decoderWidth(spec);
  const means = offsetMeanLayout(enc, spec.offsetMeans);
  const out = decoderOutputsInChunks(spec, params, latents, n);
  enc.columns.forEach((block, j) => {
    const start = enc.codeStart[j];
    if ((opts.method ?? 'systematic') === 'systematic') systematicCodes(out, width, start, block.size, n, rng, codes[j]);
    else for (let r = 0; r < n; r++) codes[j][r] = sampleSoftmax(out, r * width + start, block.size, rng);
  });
  for (let r = 0; r < n; r++) {
    enc.columns.forEach((block, j) => {
      if (block.kind !== 'continuous') return;
      const code = codes[j][r];
      // A code that is not a bin has no value (valueOf: NaN); its draw keeps the stream's order.
      const o = code < block.edges.length - 1 || means.kind === 'column' ? out[r * width + enc.codeWidth + offsetMeanIndex(means, j, code)] : 0;
      const offset = (enc.offsetScale === 'probit' ? o : Math.tanh(o)) + spec.offsetSigma * standardNormal(rng);
      values[j]![r] = TabularEncoding.valueOf(block, code, offset, enc.offsetScale);
    });
  }
  return { rows: n, codes, values };
}

/**
 * The decoder's outputs for `n` latent rows [n x latent] (row-major; decoderWidth(spec) each), computed
 * CHUNK rows at a time: the backend's tensors then never hold more than CHUNK rows (the WebAssembly
 * heap grows to its largest allocation and never returns it: one call on 48,842 coded Adult rows
 * kept ~390 MB, docs/synthesis.md "Peak RSS of the dpsgd simulate").
 */
export function decoderOutputsInChunks(spec: VaeSpec, params: Float32Array, latents: Float32Array, n: number): Float32Array {
  const layout = vaeLayout(spec);
  const width = decoderWidth(spec);
  const out = new Float32Array(n * width);
  const { w, b } = paramTensors(layout, params);
  try {
    for (let start = 0; start < n; start += CHUNK) {
      const m = Math.min(CHUNK, n - start);
      out.set(decoderOutputs(spec, layout, w, b, latents.subarray(start * spec.latent, (start + m) * spec.latent), m), start * width);
    }
  } finally {
    tf.dispose([...w, ...b]);
  }
  return out;
}

/** The decoder's outputs (logits, then offset means) for `m` latent rows `latents` [m x latent], row-major. */
export function decoderOutputs(spec: VaeSpec, layout: VaeLayout, w: tf.Tensor2D[], b: tf.Tensor1D[], latents: Float32Array, m: number): Float32Array {
  const logits = tf.tidy(() => {
    let h = tf.tensor2d(latents, [m, spec.latent]);
    for (let l = layout.encoderHead + 1; l < layout.layers.length; l++) {
      const z = tf.add(tf.matMul(h, w[l]), b[l]) as tf.Tensor2D;
      h = layout.layers[l].relu ? tf.relu(z) : z;
    }
    return h;
  });
  // Read outside tidy: tidy walks a returned typed array element by element looking for tensors.
  const out = logits.dataSync() as Float32Array;
  logits.dispose();
  return out;
}

/** softmax(logits[start .. start+size)) into p (max-shifted for stability). */
function softmaxInto(logits: Float32Array, start: number, size: number, p: Float64Array): void {
  let max = -Infinity;
  for (let k = 0; k < size; k++) max = Math.max(max, logits[start + k]);
  let total = 0;
  for (let k = 0; k < size; k++) total += p[k] = Math.exp(logits[start + k] - max);
  for (let k = 0; k < size; k++) p[k] /= total;
}

/** A draw from softmax(logits[start .. start+size)) by inversion. */
function sampleSoftmax(logits: Float32Array, start: number, size: number, rng: RandomSource): number {
  const p = new Float64Array(size);
  softmaxInto(logits, start, size, p);
  let u = uniformFloat(rng);
  for (let k = 0; k < size - 1; k++) {
    u -= p[k];
    if (u < 0) return k;
  }
  return size - 1;
}

/**
 * Column codes of rows 0..n-1 (row r's logits at out[r * width + start ..]) by sequential randomised
 * systematic sampling (VaeSampleMethod 'systematic'): for code k, row r (without a code yet) has the
 * conditional probability c_r = p_r(k) / left_r, left_r = 1 - sum_{i<k} p_r(i); with one uniform u,
 * row r takes k iff the running sum of the c's crosses a point of u + Z on (S_{r-1}, S_r] (c_r <= 1:
 * at most one point, and with probability exactly c_r). The last code takes every row left.
 */
function systematicCodes(out: Float32Array, width: number, start: number, size: number, n: number, rng: RandomSource, codes: Int32Array): void {
  const probs = new Float64Array(n * size);
  const p = new Float64Array(size);
  for (let r = 0; r < n; r++) {
    softmaxInto(out, r * width + start, size, p);
    probs.set(p, r * size);
  }
  const left = new Float64Array(n).fill(1);
  let open = Int32Array.from({ length: n }, (_, r) => r);
  for (let k = 0; k < size - 1 && open.length > 0; k++) {
    let point = uniformFloat(rng);
    let acc = 0;
    const still: number[] = [];
    for (const r of open) {
      const pk = probs[r * size + k];
      const c = left[r] > pk ? pk / left[r] : 1;
      acc += c;
      if (acc > point) {
        codes[r] = k;
        point += 1;
      } else {
        left[r] -= pk;
        still.push(r);
      }
    }
    open = Int32Array.from(still);
  }
  for (const r of open) codes[r] = size - 1;
}
