// logisticRegression: multinomial logistic regression on sparse binary features with L2 penalty,
// trained by deterministic per-example AdaGrad SGD (Duchi, Hazan & Singer 2011) in seeded order.
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import type { SparseDesign } from './SparseDesign.js';

/** Training options; defaults suit one-hot tabular data of tens of thousands of rows. */
export interface LogisticOptions {
  readonly classes: number;
  readonly epochs?: number;
  readonly learningRate?: number;
  readonly l2?: number;
}

/** A fitted model: weights `w[f*K + k]` and bias `b[k]`. */
export interface LogisticModel {
  readonly classes: number;
  readonly nFeatures: number;
  readonly w: Float64Array;
  readonly b: Float64Array;
}

function softmaxInto(z: Float64Array, k: number): void {
  let max = -Infinity;
  for (let c = 0; c < k; c++) if (z[c] > max) max = z[c];
  let s = 0;
  for (let c = 0; c < k; c++) {
    z[c] = Math.exp(z[c] - max);
    s += z[c];
  }
  for (let c = 0; c < k; c++) z[c] /= s;
}

function logitsInto(m: LogisticModel, d: SparseDesign, r: number, z: Float64Array): void {
  const k = m.classes;
  for (let c = 0; c < k; c++) z[c] = m.b[c];
  const base = r * d.width;
  for (let t = 0; t < d.width; t++) {
    const f = d.index[base + t] * k;
    for (let c = 0; c < k; c++) z[c] += m.w[f + c];
  }
}

/** Fits the model; `labels[r]` in [0, classes). Same inputs and rng stream give the same model. */
export function trainLogistic(d: SparseDesign, labels: ArrayLike<number>, opts: LogisticOptions, rng: RandomSource): LogisticModel {
  const k = opts.classes;
  const epochs = opts.epochs ?? 5;
  const lr = opts.learningRate ?? 0.2;
  const l2 = opts.l2 ?? 1e-5;
  const w = new Float64Array(d.nFeatures * k);
  const b = new Float64Array(k);
  const gw = new Float64Array(d.nFeatures * k).fill(1e-8);
  const gb = new Float64Array(k).fill(1e-8);
  const model: LogisticModel = { classes: k, nFeatures: d.nFeatures, w, b };
  const order = Int32Array.from({ length: d.rows }, (_, i) => i);
  const z = new Float64Array(k);
  for (let e = 0; e < epochs; e++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = uniformInt(rng, i + 1);
      const tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    for (const r of order) {
      logitsInto(model, d, r, z);
      softmaxInto(z, k);
      const y = labels[r];
      for (let c = 0; c < k; c++) {
        const g = z[c] - (c === y ? 1 : 0);
        gb[c] += g * g;
        b[c] -= (lr * g) / Math.sqrt(gb[c]);
        const base = r * d.width;
        for (let t = 0; t < d.width; t++) {
          const f = d.index[base + t] * k + c;
          const gf = g + l2 * w[f];
          gw[f] += gf * gf;
          w[f] -= (lr * gf) / Math.sqrt(gw[f]);
        }
      }
    }
  }
  return model;
}

/** Class probabilities, row-major `rows x classes`. */
export function predictProba(m: LogisticModel, d: SparseDesign): Float64Array {
  const k = m.classes;
  const out = new Float64Array(d.rows * k);
  const z = new Float64Array(k);
  for (let r = 0; r < d.rows; r++) {
    logitsInto(m, d, r, z);
    softmaxInto(z, k);
    out.set(z, r * k);
  }
  return out;
}

/** The most probable class of each row (lowest index on ties). */
export function argmaxRows(proba: Float64Array, k: number): Int32Array {
  const n = proba.length / k;
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (proba[r * k + c] > proba[r * k + best]) best = c;
    out[r] = best;
  }
  return out;
}
