// clippedGradientSum: a party's DP-SGD contribution, the sum over its sampled rows of per-example
// gradients each clipped to L2 norm C (Abadi et al. 2016), computed per layer without microbatches.
import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { standardNormal } from '../data/simulationSamplers.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { TabularRows } from './TabularEncoding.js';
import { paramTensors, vaeLayout, vaeLoss, type VaeBatch, type VaeLayout, type VaeSpec } from './TabularVae.js';
import { readyTf } from './tfRuntime.js';

export interface ClippedSum {
  /** Sum over examples of clip(g_i, C), in the parameter vector's layout. */
  readonly sum: Float64Array;
  readonly examples: number;
  /** Examples whose gradient had norm above C (scaled down), and non-finite ones (dropped: zero contribution). */
  readonly clipped: number;
  readonly dropped: number;
}

/** Rows per backend pass (bounds memory; the result does not depend on it beyond float rounding). */
const CHUNK = 256;
/**
 * Norms are float32 sums of at most a few hundred squares per layer (relative error below
 * width * 2^-24 ~ 4e-5 for width 600); clipping to C * (1 - 2^-12) keeps the exact norm of each
 * clipped contribution at most C.
 */
export const NORM_SLACK = 1 - 2 ** -12;

/**
 * Per-example gradients of dense layers without materialising them (Goodfellow 2015, "Efficient
 * per-example gradient computations"; the factorisation Opacus uses for nn.Linear): with a_i the
 * layer's input and delta_i = d loss / d z_i its pre-activation gradient for example i,
 * grad W_i = a_i delta_i^T and grad b_i = delta_i, so ||g_i||^2 = sum over layers of
 * (||a_i||^2 + 1) ||delta_i||^2. With c_i = min(1, C / ||g_i||) the clipped sum is
 * A^T diag(c) Delta per layer (and c^T Delta for biases). delta comes from tf.grads of the summed
 * loss w.r.t. zero "taps" added to each pre-activation; it is per example because no term of the
 * loss couples two examples (the reparameterization noise eps_i is per example too).
 *
 * The reparameterization noise is drawn from `rng` (standard normals, rows in order), so the
 * result is a deterministic function of (params, rows, rng state).
 */
export async function clippedGradientSum(spec: VaeSpec, params: Float32Array, rows: TabularRows, clipNorm: number, rng: RandomSource): Promise<ClippedSum> {
  if (!(clipNorm > 0) || !Number.isFinite(clipNorm)) throw new FedsynthError(ErrorCode.InvalidArgument, `clippedGradientSum: clipNorm must be positive and finite, got ${clipNorm}`);
  await readyTf();
  const layout = vaeLayout(spec);
  const out = { sum: new Float64Array(layout.size), examples: rows.rows, clipped: 0, dropped: 0 };
  const { w, b } = paramTensors(layout, params);
  try {
    for (let start = 0; start < rows.rows; start += CHUNK) {
      const n = Math.min(CHUNK, rows.rows - start);
      const { x, valueMask } = spec.encoding.encode(rows, start, n);
      const eps = drawNormals(rng, n * spec.latent);
      const r = chunkSum(spec, layout, w, b, x, valueMask, eps, n, clipNorm);
      for (let k = 0; k < layout.size; k++) out.sum[k] += r.sum[k];
      out.clipped += r.clipped;
      out.dropped += r.dropped;
    }
  } finally {
    tf.dispose([...w, ...b]);
  }
  return out;
}

/** `n` standard normals (Box-Muller) for the reparameterization trick: model noise, not privacy noise. */
export function drawNormals(rng: RandomSource, n: number): Float32Array {
  const e = new Float32Array(n);
  for (let k = 0; k < n; k++) e[k] = standardNormal(rng);
  return e;
}

/** The clipped sum of one chunk of `n` encoded rows with reparameterization noise `eps` [n x latent]. */
export function chunkSum(
  spec: VaeSpec,
  layout: VaeLayout,
  w: tf.Tensor2D[],
  b: tf.Tensor1D[],
  x: Float32Array,
  valueMask: Float32Array,
  eps: Float32Array,
  n: number,
  clipNorm: number,
): { sum: Float32Array; clipped: number; dropped: number } {
  const kept: tf.Tensor2D[] = [];
  let result: { sum: Float32Array; clipped: number; dropped: number } | undefined;
  try {
    tf.tidy(() => {
      const batch: VaeBatch = {
        x: tf.tensor2d(x, [n, spec.encoding.width]),
        valueMask: tf.tensor2d(valueMask, [n, spec.encoding.valueCount]),
        eps: tf.tensor2d(eps, [n, spec.latent]),
      };
      const taps = layout.layers.map((l) => tf.zeros([n, l.outputs]) as tf.Tensor2D);
      const deltas = tf.grads((...t: tf.Tensor[]) => {
        const f = vaeLoss(spec, layout, w, b, batch, t as tf.Tensor2D[]);
        for (const a of f.layerInputs) kept.push(tf.keep(a));
        return f.loss;
      })(taps) as tf.Tensor2D[];
      const inputs = kept;
      let norm2 = tf.zeros([n]) as tf.Tensor1D;
      layout.layers.forEach((_, l) => {
        const a2 = tf.add(tf.sum(tf.square(inputs[l]), 1), 1);
        norm2 = tf.add(norm2, tf.mul(a2, tf.sum(tf.square(deltas[l]), 1))) as tf.Tensor1D;
      });
      const norms = norm2.dataSync();
      const c = new Float32Array(n);
      const good = new Float32Array(n);
      let clipped = 0;
      let dropped = 0;
      for (let i = 0; i < n; i++) {
        const g = Math.sqrt(norms[i]);
        if (!Number.isFinite(g)) {
          dropped++;
          continue;
        }
        good[i] = 1;
        const bound = clipNorm * NORM_SLACK;
        if (g > bound) clipped++;
        c[i] = g > bound ? bound / g : 1;
      }
      const cT = tf.tensor2d(c, [n, 1]);
      // A non-finite row would turn 0 * Inf into NaN inside the matmul: zero its inputs and deltas.
      const clean = dropped === 0 ? (t: tf.Tensor2D) => t : zeroRows(tf.tensor2d(good, [n, 1]));
      const sum = new Float32Array(layout.size);
      layout.layers.forEach((l, i) => {
        const d = tf.mul(clean(deltas[i]), cT) as tf.Tensor2D;
        sum.set(tf.matMul(clean(inputs[i]), d, true, false).dataSync(), l.offset);
        sum.set(tf.sum(d, 0).dataSync(), l.offset + l.inputs * l.outputs);
      });
      result = { sum, clipped, dropped };
    });
    // Returned outside tidy: tidy walks a returned typed array element by element looking for tensors.
    return result!;
  } finally {
    tf.dispose(kept);
  }
}

/** Replaces the rows of `t` where `good` [n x 1] is 0 by zeros. */
function zeroRows(good: tf.Tensor2D): (t: tf.Tensor2D) => tf.Tensor2D {
  return (t) => tf.where(tf.cast(tf.broadcastTo(good, t.shape), 'bool'), t, tf.zerosLike(t)) as tf.Tensor2D;
}
