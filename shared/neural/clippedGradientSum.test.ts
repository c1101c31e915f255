import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt, uniformFloat } from '../dp/random/uniform.js';
import { TabularEncoding, type TabularRows } from './TabularEncoding.js';
import { initParams, paramTensors, vaeLayout, vaeLoss, type VaeSpec } from './TabularVae.js';
import { NORM_SLACK, chunkSum, clippedGradientSum, drawNormals } from './clippedGradientSum.js';
import { readyTf } from './tfRuntime.js';

const encoding = new TabularEncoding([
  { kind: 'categorical', name: 'a', size: 3 },
  { kind: 'continuous', name: 'v', size: 4, edges: [0, 10, 100, 1000], integer: false },
  { kind: 'categorical', name: 'c', size: 5 },
]);
const spec: VaeSpec = { encoding, hidden: [8], latent: 3, offsetSigma: 0.2 };
// Per-bin offset means (OffsetMeans 'bin'), two continuous columns: one with a "missing" code, one whose codes are all bins.
const binSpec: VaeSpec = {
  encoding: new TabularEncoding([
    ...encoding.columns.slice(0, 2),
    { kind: 'continuous', name: 'w', size: 2, edges: [0, 1, 2], integer: false },
    encoding.columns[2],
  ]),
  hidden: [8],
  latent: 3,
  offsetSigma: 0.7,
  offsetMeans: 'bin',
};

/** Random codes for every column; a continuous column's code that is a bin gets a value inside it (NaN otherwise). */
function randomRows(n: number, seed: string, enc: TabularEncoding = encoding): TabularRows {
  const rng = seededRandomSource(seed, 'rows');
  const codes = enc.columns.map(() => new Int32Array(n));
  const values = enc.columns.map((c) => (c.kind === 'continuous' ? new Float64Array(n) : null));
  for (let i = 0; i < n; i++) {
    enc.columns.forEach((c, j) => {
      const code = (codes[j][i] = uniformInt(rng, c.size));
      if (c.kind !== 'continuous') return;
      values[j]![i] = code < c.edges.length - 1 ? c.edges[code] + uniformFloat(rng) * (c.edges[code + 1] - c.edges[code]) : Number.NaN;
    });
  }
  return { rows: n, codes, values };
}

/** The reference: each example alone (a microbatch of one), full gradient by tf.grads, clipped in float64. */
function microbatchSum(params: Float32Array, rows: TabularRows, eps: Float32Array, clip: number, spec: VaeSpec): { sum: Float64Array; norms: number[] } {
  const encoding = spec.encoding;
  const norms: number[] = [];
  const layout = vaeLayout(spec);
  const out = new Float64Array(layout.size);
  const { w, b } = paramTensors(layout, params);
  for (let i = 0; i < rows.rows; i++) {
    const g = new Float64Array(layout.size);
    tf.tidy(() => {
      const { x, valueMask } = encoding.encode(rows, i, 1);
      const batch = { x: tf.tensor2d(x, [1, encoding.width]), valueMask: tf.tensor2d(valueMask, [1, encoding.valueCount]), eps: tf.tensor2d(eps.subarray(i * spec.latent, (i + 1) * spec.latent), [1, spec.latent]) };
      const grads = tf.grads((...t: tf.Tensor[]) => {
        const k = t.length / 2;
        return vaeLoss(spec, layout, t.slice(0, k) as tf.Tensor2D[], t.slice(k) as tf.Tensor1D[], batch).loss;
      })([...w, ...b]);
      layout.layers.forEach((l, j) => {
        g.set(grads[j].dataSync(), l.offset);
        g.set(grads[layout.layers.length + j].dataSync(), l.offset + l.inputs * l.outputs);
      });
    });
    const norm = Math.sqrt(g.reduce((s, v) => s + v * v, 0));
    norms.push(norm);
    const c = Math.min(1, clip / norm);
    for (let k = 0; k < g.length; k++) out[k] += c * g[k];
  }
  tf.dispose([...w, ...b]);
  return { sum: out, norms };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1];
}

describe('clippedGradientSum', () => {
  it.each([
    ['one offset mean per column', spec],
    ['per-bin offset means', binSpec],
  ])('equals the sum of clipped microbatches of one (clipping active for some examples, not all): %s', async (_, spec) => {
    await readyTf();
    const encoding = spec.encoding;
    const params = initParams(spec, seededRandomSource('t', 'init'));
    const rows = randomRows(40, 'm', encoding);
    const eps = drawNormals(seededRandomSource('t', 'eps'), rows.rows * spec.latent);
    const layout = vaeLayout(spec);
    const { w, b } = paramTensors(layout, params);
    const { x, valueMask } = encoding.encode(rows, 0, rows.rows);
    const clip = median(microbatchSum(params, rows, eps, 1, spec).norms);
    const fast = chunkSum(spec, layout, w, b, x, valueMask, eps, rows.rows, clip);
    tf.dispose([...w, ...b]);
    expect(fast.clipped).toBeGreaterThan(0);
    expect(fast.clipped).toBeLessThan(rows.rows);
    const ref = microbatchSum(params, rows, eps, clip * NORM_SLACK, spec).sum;
    let err = 0;
    let scale = 0;
    for (let k = 0; k < ref.length; k++) {
      err = Math.max(err, Math.abs(fast.sum[k] - ref[k]));
      scale = Math.max(scale, Math.abs(ref[k]));
    }
    expect(scale).toBeGreaterThan(1);
    expect(err / scale).toBeLessThan(1e-5);
  });

  it('bounds a planted huge example by clipNorm', async () => {
    const rows = randomRows(30, 'h');
    const params = initParams(spec, seededRandomSource('t', 'init'));
    // A huge example: parameters scaled up so its loss gradient is enormous, alone and among others.
    const big = params.map((p) => p * 6);
    const alone: TabularRows = { rows: 1, codes: rows.codes.map((c) => c.slice(0, 1)), values: rows.values.map((v) => v && v.slice(0, 1)) };
    const clip = 0.5;
    const one = await clippedGradientSum(spec, big, alone, clip, seededRandomSource('t', 'e1'));
    expect(one.dropped).toBe(0);
    expect(one.clipped).toBe(1);
    const norm = Math.sqrt(one.sum.reduce((s, v) => s + v * v, 0));
    expect(norm).toBeLessThanOrEqual(clip);
    expect(norm).toBeGreaterThan(clip * 0.999);
    // Changing one row of a batch moves the clipped sum by at most 2C (replace-one) / C (add-remove).
    const other: TabularRows = { rows: 30, codes: rows.codes.map((c) => c.slice()), values: rows.values.map((v) => v && v.slice()) };
    other.codes[0][0] = (other.codes[0][0] + 1) % 3;
    other.values[1]![0] = 999;
    other.codes[1][0] = 2;
    const s1 = await clippedGradientSum(spec, big, rows, clip, seededRandomSource('t', 'e2'));
    const s2 = await clippedGradientSum(spec, big, other, clip, seededRandomSource('t', 'e2'));
    const diff = Math.sqrt(s1.sum.reduce((s, v, k) => s + (v - s2.sum[k]) ** 2, 0));
    expect(diff).toBeLessThanOrEqual(2 * clip);
    expect(diff).toBeGreaterThan(0);
  });

  it('gives identical bits for the same seed', async () => {
    const rows = randomRows(300, 'd');
    const params = initParams(spec, seededRandomSource('t', 'init'));
    const a = await clippedGradientSum(spec, params, rows, 1, seededRandomSource('t', 'e'));
    const b = await clippedGradientSum(spec, params, rows, 1, seededRandomSource('t', 'e'));
    expect(Buffer.from(a.sum.buffer).equals(Buffer.from(b.sum.buffer))).toBe(true);
  });
});
