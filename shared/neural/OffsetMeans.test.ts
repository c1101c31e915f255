import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { TabularEncoding, type TabularRows } from './TabularEncoding.js';
import { decoderWidth, initParams, paramTensors, vaeLayout, vaeLoss, type VaeSpec } from './TabularVae.js';
import { offsetMeanIndex, offsetMeanLayout } from './OffsetMeans.js';
import { sampleVaeRows } from './sampleVaeRows.js';
import { readyTf } from './tfRuntime.js';

// Columns: a categorical, a continuous one with a "missing" code (3 bins + 1), another continuous one (2 bins).
const encoding = new TabularEncoding(
  [
    { kind: 'categorical', name: 'a', size: 3 },
    { kind: 'continuous', name: 'v', size: 4, edges: [0, 10, 100, 1000], integer: false },
    { kind: 'continuous', name: 'w', size: 2, edges: [0, 1, 2], integer: false },
  ],
  'probit',
);
const spec: VaeSpec = { encoding, hidden: [5], latent: 2, offsetSigma: 0.8, offsetMeans: 'bin', klWeight: 0.5 };

/** The decoder's last layer: its output biases start here (outputs in decoder order). */
function outputBiasStart(s: VaeSpec): number {
  const layout = vaeLayout(s);
  const last = layout.layers[layout.layers.length - 1];
  return last.offset + last.inputs * last.outputs;
}

describe('OffsetMeans', () => {
  beforeAll(readyTf);

  it('lays out one mean per continuous column, or one per bin after the code logits', () => {
    const column = offsetMeanLayout(encoding, 'column');
    expect(column).toMatchObject({ count: 2, start: [-1, 0, 1], widths: [0, 1, 1] });
    const bin = offsetMeanLayout(encoding, 'bin');
    expect(bin).toMatchObject({ count: 5, start: [-1, 0, 3], widths: [0, 3, 2] });
    expect([0, 1, 2].map((k) => offsetMeanIndex(bin, 1, k))).toEqual([0, 1, 2]);
    expect([0, 1].map((k) => offsetMeanIndex(bin, 2, k))).toEqual([3, 4]);
    expect(offsetMeanIndex(column, 2, 1)).toBe(1);
    expect(decoderWidth(spec)).toBe(encoding.codeWidth + 5);
    expect(decoderWidth({ ...spec, offsetMeans: undefined })).toBe(encoding.width);
  });

  // Encoder weights zero and log-variance -40: every row's latent is the encoder head's bias (up to
  // e^-20), so every row decodes the same outputs o and the ELBO is a float64 sum by hand.
  it('scores each row\'s offset against the mean of its own bin (the ELBO by hand)', () => {
    const layout = vaeLayout(spec);
    const params = initParams(spec, seededRandomSource('om', 'init'));
    const head = layout.layers[layout.encoderHead];
    for (let l = 0; l <= layout.encoderHead; l++) params.fill(0, layout.layers[l].offset, layout.layers[l].offset + layout.layers[l].inputs * layout.layers[l].outputs);
    const headBias = head.offset + head.inputs * head.outputs;
    params.set([0.3, -0.2, -40, -40], headBias); // mu, then log-variance
    const biases = outputBiasStart(spec) + encoding.codeWidth;
    params.set([1.5, -0.5, 0.25, -1, 2], biases); // v's bins 0, 1, 2; w's bins 0, 1
    const rows: TabularRows = {
      rows: 6,
      codes: [Int32Array.from([0, 1, 2, 0, 1, 2]), Int32Array.from([0, 1, 2, 3, 0, 2]), Int32Array.from([0, 1, 1, 0, 1, 0])],
      values: [null, Float64Array.from([9, 50, 200, Number.NaN, 1, 999]), Float64Array.from([0.5, 1.9, 1.1, 0.2, 1.5, 0.7])],
    };
    const { x, valueMask } = encoding.encode(rows, 0, rows.rows);
    // o: the decoder at the latent mu (float64 from the float32 weights).
    const mu = [0.3, -0.2];
    let h: number[] = mu;
    for (let l = layout.encoderHead + 1; l < layout.layers.length; l++) {
      const L = layout.layers[l];
      const out = Array.from({ length: L.outputs }, (_, k) => params[L.offset + L.inputs * L.outputs + k] + h.reduce((s, v, i) => s + v * params[L.offset + i * L.outputs + k], 0));
      h = L.relu ? out.map((v) => Math.max(0, v)) : out;
    }
    const means = offsetMeanLayout(encoding, 'bin');
    let expected = 0;
    for (let r = 0; r < rows.rows; r++) {
      encoding.columns.forEach((c, j) => {
        const s = encoding.codeStart[j];
        const logits = h.slice(s, s + c.size);
        const max = Math.max(...logits);
        const lse = max + Math.log(logits.reduce((t, v) => t + Math.exp(v - max), 0));
        expected -= logits[rows.codes[j][r]] - lse;
        const vi = encoding.valueIndex[j];
        if (vi < 0 || valueMask[r * encoding.valueCount + vi] === 0) return;
        const m = h[encoding.codeWidth + offsetMeanIndex(means, j, rows.codes[j][r])];
        expected += (x[r * encoding.width + encoding.codeWidth + vi] - m) ** 2 / (2 * spec.offsetSigma ** 2);
      });
      expected += 0.5 * 0.5 * (mu[0] ** 2 + mu[1] ** 2 + 2 * (Math.exp(-40) + 40 - 1));
    }
    const got = tf.tidy(() => {
      const { w, b } = paramTensors(layout, params);
      const eps = tf.randomNormal([rows.rows, spec.latent], 0, 1, 'float32', 7) as tf.Tensor2D;
      const batch = { x: tf.tensor2d(x, [rows.rows, encoding.width]), valueMask: tf.tensor2d(valueMask, [rows.rows, encoding.valueCount]), eps };
      return vaeLoss(spec, layout, w, b, batch).loss.dataSync()[0];
    });
    expect(Math.abs(got - expected) / expected).toBeLessThan(1e-5);
  });

  // Probit offsets, sigma 1: a bin mean of +2 puts a value at position Phi(2 + N(0,1)) inside the bin
  // (mean Phi(2 / sqrt 2) = 0.92), -2 at 0.08. 4,000 rows: the positions' standard error is below 0.01.
  it('samples each value around the mean of the bin its code drew', async () => {
    const s: VaeSpec = { ...spec, offsetSigma: 1 };
    const params = initParams(s, seededRandomSource('om', 'init'));
    // The means' weights zero: each mean is its output bias.
    const layout = vaeLayout(s);
    const last = layout.layers[layout.layers.length - 1];
    for (let i = 0; i < last.inputs; i++) params.fill(0, last.offset + i * last.outputs + encoding.codeWidth, last.offset + (i + 1) * last.outputs);
    params.set([2, -2, 0, 2, -2], outputBiasStart(s) + encoding.codeWidth);
    const out = await sampleVaeRows(s, params, 4000, seededRandomSource('om', 'sample'));
    const position = (j: number, k: number): number => {
      const c = encoding.columns[j] as { edges: readonly number[] };
      let t = 0;
      let n = 0;
      for (let r = 0; r < out.rows; r++) {
        if (out.codes[j][r] !== k) continue;
        t += (out.values[j]![r] - c.edges[k]) / (c.edges[k + 1] - c.edges[k]);
        n++;
      }
      expect(n).toBeGreaterThan(200);
      return t / n;
    };
    expect(position(1, 0)).toBeGreaterThan(0.88);
    expect(position(1, 1)).toBeLessThan(0.12);
    expect(Math.abs(position(1, 2) - 0.5)).toBeLessThan(0.04);
    expect(position(2, 0)).toBeGreaterThan(0.88);
    expect(position(2, 1)).toBeLessThan(0.12);
  });
});
