// sampleVaeRows: synthetic rows from a trained TabularVae's decoder (z ~ N(0, I), a code drawn from
// each softmax head, a bin offset from its Gaussian head), as TVAE samples (Xu et al. 2019).
import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat } from '../dp/random/uniform.js';
import { standardNormal } from '../data/simulationSamplers.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { TabularEncoding, type TabularRows } from './TabularEncoding.js';
import { paramTensors, vaeLayout, type VaeLayout, type VaeSpec } from './TabularVae.js';
import { drawNormals } from './clippedGradientSum.js';
import { readyTf } from './tfRuntime.js';

const CHUNK = 1024;

/** `n` rows; a deterministic function of (params, rng state). */
export async function sampleVaeRows(spec: VaeSpec, params: Float32Array, n: number, rng: RandomSource): Promise<TabularRows> {
  if (!Number.isInteger(n) || n < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `sampleVaeRows: n must be a non-negative integer, got ${n}`);
  await readyTf();
  const enc = spec.encoding;
  const layout = vaeLayout(spec);
  const codes = enc.columns.map(() => new Int32Array(n));
  const values = enc.columns.map((c) => (c.kind === 'continuous' ? new Float64Array(n) : null));
  const { w, b } = paramTensors(layout, params);
  try {
    for (let start = 0; start < n; start += CHUNK) {
      const m = Math.min(CHUNK, n - start);
      const out = decoderOutputs(spec, layout, w, b, drawNormals(rng, m * spec.latent), m);
      for (let r = 0; r < m; r++) {
        const row = out.subarray(r * enc.width, (r + 1) * enc.width);
        enc.columns.forEach((block, j) => {
          const code = sampleSoftmax(row, enc.codeStart[j], block.size, rng);
          codes[j][start + r] = code;
          if (block.kind === 'continuous') {
            const offset = Math.tanh(row[enc.codeWidth + enc.valueIndex[j]]) + spec.offsetSigma * standardNormal(rng);
            values[j]![start + r] = TabularEncoding.valueOf(block, code, offset);
          }
        });
      }
    }
  } finally {
    tf.dispose([...w, ...b]);
  }
  return { rows: n, codes, values };
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

/** A draw from softmax(logits[start .. start+size)) by inversion (max-shifted for stability). */
function sampleSoftmax(logits: Float32Array, start: number, size: number, rng: RandomSource): number {
  let max = -Infinity;
  for (let k = 0; k < size; k++) max = Math.max(max, logits[start + k]);
  let total = 0;
  for (let k = 0; k < size; k++) total += Math.exp(logits[start + k] - max);
  let u = uniformFloat(rng) * total;
  for (let k = 0; k < size - 1; k++) {
    u -= Math.exp(logits[start + k] - max);
    if (u < 0) return k;
  }
  return size - 1;
}
