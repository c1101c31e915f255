// TabularVae: a TVAE-style variational autoencoder (Xu et al. 2019) over a TabularEncoding, with
// a flat parameter vector (dense layers only) so parties can sum gradients and the server broadcast weights.
import * as tf from '@tensorflow/tfjs-core';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat } from '../dp/random/uniform.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { TabularEncoding } from './TabularEncoding.js';
import { offsetMeanLayout, type OffsetMeans } from './OffsetMeans.js';

/** The architecture: encoder widths (the decoder mirrors them), latent size, offset likelihood. */
export interface VaeSpec {
  readonly encoding: TabularEncoding;
  /** Hidden layer widths of the encoder; the decoder uses them in reverse (TVAE: [128, 128]). */
  readonly hidden: readonly number[];
  readonly latent: number;
  /** Standard deviation of the Gaussian likelihood of bin offsets (TVAE learns it; fixed here). */
  readonly offsetSigma: number;
  /** Weight of the KL term (beta-VAE; default 1, the ELBO). TVAE's loss_factor 2 on the reconstruction is 0.5. */
  readonly klWeight?: number;
  /** One offset mean per continuous column or per public bin (OffsetMeans; default 'column'). */
  readonly offsetMeans?: OffsetMeans;
}

/** One dense layer in the flat vector: W row-major [inputs][outputs] at `offset`, then b. */
export interface DenseLayer {
  readonly inputs: number;
  readonly outputs: number;
  readonly offset: number;
  /** ReLU after the layer (hidden layers); heads are linear. */
  readonly relu: boolean;
}

/** Encoder layers, then decoder layers; `size` = length of the parameter vector. */
export interface VaeLayout {
  readonly layers: readonly DenseLayer[];
  /** Index of the encoder head (outputs 2*latent: mean, log-variance). */
  readonly encoderHead: number;
  readonly size: number;
}

export function vaeLayout(spec: VaeSpec): VaeLayout {
  if (!Number.isInteger(spec.latent) || spec.latent < 1 || spec.hidden.some((h) => !Number.isInteger(h) || h < 1) || !(spec.offsetSigma > 0)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'VaeSpec: latent and hidden widths must be positive integers, offsetSigma > 0');
  }
  const D = spec.encoding.width;
  const shapes: [number, number, boolean][] = [];
  let prev = D;
  for (const h of spec.hidden) {
    shapes.push([prev, h, true]);
    prev = h;
  }
  shapes.push([prev, 2 * spec.latent, false]);
  const encoderHead = shapes.length - 1;
  prev = spec.latent;
  for (const h of [...spec.hidden].reverse()) {
    shapes.push([prev, h, true]);
    prev = h;
  }
  shapes.push([prev, decoderWidth(spec), false]);
  let offset = 0;
  const layers = shapes.map(([inputs, outputs, relu]) => {
    const l = { inputs, outputs, offset, relu };
    offset += inputs * outputs + outputs;
    return l;
  });
  return { layers, encoderHead, size: offset };
}

/** The decoder's output width: every code's logit, then the offset means (OffsetMeanLayout). */
export function decoderWidth(spec: VaeSpec): number {
  return spec.encoding.codeWidth + offsetMeanLayout(spec.encoding, spec.offsetMeans).count;
}

/** Glorot-uniform weights from `rng`, zero biases (Glorot & Bengio 2010). */
export function initParams(spec: VaeSpec, rng: RandomSource): Float32Array {
  const layout = vaeLayout(spec);
  const p = new Float32Array(layout.size);
  for (const l of layout.layers) {
    const a = Math.sqrt(6 / (l.inputs + l.outputs));
    for (let k = 0; k < l.inputs * l.outputs; k++) p[l.offset + k] = (2 * uniformFloat(rng) - 1) * a;
  }
  return p;
}

/** The layers' weights and biases as tensors (views of `params` copied into the backend). */
export function paramTensors(layout: VaeLayout, params: Float32Array): { w: tf.Tensor2D[]; b: tf.Tensor1D[] } {
  if (params.length !== layout.size) throw new FedsynthError(ErrorCode.InvalidArgument, `TabularVae: ${params.length} parameters, the spec has ${layout.size}`);
  return {
    w: layout.layers.map((l) => tf.tensor2d(params.subarray(l.offset, l.offset + l.inputs * l.outputs), [l.inputs, l.outputs])),
    b: layout.layers.map((l) => tf.tensor1d(params.subarray(l.offset + l.inputs * l.outputs, l.offset + l.inputs * l.outputs + l.outputs))),
  };
}

/** A batch on the backend: encoded rows, the offset mask, and the reparameterization noise. */
export interface VaeBatch {
  readonly x: tf.Tensor2D;
  readonly valueMask: tf.Tensor2D;
  readonly eps: tf.Tensor2D;
}

/** What the loss function saw: each layer's input (for per-example gradients). */
export interface VaeForward {
  readonly loss: tf.Scalar;
  readonly layerInputs: tf.Tensor2D[];
}

/**
 * The negative ELBO summed over the batch (no term couples two examples, so each example's
 * gradient is the gradient of its own loss): softmax cross-entropy per code block, Gaussian
 * negative log-likelihood of defined offsets (constant dropped), KL(q(z|x) || N(0, I)).
 * `taps[l]` (zeros) is added to layer l's pre-activation so that d loss / d taps[l] is the
 * per-example delta of that layer.
 */
export function vaeLoss(spec: VaeSpec, layout: VaeLayout, w: tf.Tensor2D[], b: tf.Tensor1D[], batch: VaeBatch, taps?: tf.Tensor2D[]): VaeForward {
  const enc = spec.encoding;
  const layerInputs: tf.Tensor2D[] = [];
  const dense = (l: number, a: tf.Tensor2D): tf.Tensor2D => {
    layerInputs.push(a);
    let z = tf.add(tf.matMul(a, w[l]), b[l]) as tf.Tensor2D;
    if (taps) z = tf.add(z, taps[l]);
    return layout.layers[l].relu ? tf.relu(z) : z;
  };
  let a = batch.x;
  for (let l = 0; l <= layout.encoderHead; l++) a = dense(l, a);
  const [mu, logVar] = tf.split(a, [spec.latent, spec.latent], 1) as [tf.Tensor2D, tf.Tensor2D];
  let h = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), batch.eps)) as tf.Tensor2D;
  for (let l = layout.encoderHead + 1; l < layout.layers.length; l++) h = dense(l, h);
  const kl = tf.mul(tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logVar)), tf.add(logVar, 1))), 0.5 * (spec.klWeight ?? 1));
  const sizes = enc.columns.map((c) => c.size);
  const means = offsetMeanLayout(enc, spec.offsetMeans);
  const outs = tf.split(h, means.count > 0 ? [...sizes, means.count] : sizes, 1);
  const targets = tf.split(batch.x, enc.valueCount > 0 ? [...sizes, enc.valueCount] : sizes, 1);
  let loss = kl as tf.Scalar;
  for (let j = 0; j < sizes.length; j++) loss = tf.sub(loss, tf.sum(tf.mul(targets[j], tf.logSoftmax(outs[j])))) as tf.Scalar;
  if (enc.valueCount === 0) return { loss, layerInputs };
  // The mean head: tanh on the linear scale (offsets in [-1, 1]), the output itself on the probit scale.
  const meanOf = (o: tf.Tensor2D): tf.Tensor2D => (enc.offsetScale === 'probit' ? o : tf.tanh(o));
  const scale = 1 / (2 * spec.offsetSigma ** 2);
  if (means.kind === 'column') {
    const err = tf.sub(targets[sizes.length], meanOf(outs[sizes.length] as tf.Tensor2D));
    return { loss: tf.add(loss, tf.mul(tf.sum(tf.mul(batch.valueMask, tf.square(err))), scale)) as tf.Scalar, layerInputs };
  }
  // Per-bin means: a row's mean is the one of its own bin, picked by the bins' part of its one-hot
  // code (zero when the code is not a bin, where the mask drops the term anyway).
  const continuous = enc.columns.flatMap((c, j) => (c.kind === 'continuous' ? [j] : []));
  const ones = continuous.map(() => 1);
  const binMeans = tf.split(outs[sizes.length], continuous.map((j) => means.widths[j]), 1);
  const offsets = tf.split(targets[sizes.length], ones, 1);
  const masks = tf.split(batch.valueMask, ones, 1);
  continuous.forEach((j, i) => {
    const bins = means.widths[j];
    const binHot = bins === sizes[j] ? targets[j] : tf.split(targets[j], [bins, sizes[j] - bins], 1)[0];
    const picked = tf.sum(tf.mul(binHot, meanOf(binMeans[i] as tf.Tensor2D)), 1, true);
    const err = tf.sub(offsets[i], picked);
    loss = tf.add(loss, tf.mul(tf.sum(tf.mul(masks[i], tf.square(err))), scale)) as tf.Scalar;
  });
  return { loss, layerInputs };
}
