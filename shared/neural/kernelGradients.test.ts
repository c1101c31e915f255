import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { TabularEncoding } from './TabularEncoding.js';
import { initParams, paramTensors, vaeLayout, vaeLoss, type VaeSpec } from './TabularVae.js';
import { chunkSum, drawNormals } from './clippedGradientSum.js';
import { readyTf } from './tfRuntime.js';

const encoding = new TabularEncoding([
  { kind: 'categorical', name: 'a', size: 3 },
  { kind: 'continuous', name: 'v', size: 3, edges: [0, 1, 2], integer: false },
]);
const spec: VaeSpec = { encoding, hidden: [6, 5], latent: 2, offsetSigma: 0.5 };

describe('registered kernel gradients', () => {
  // Relative error |fd - g| / max(1, |g|) on every third parameter, float32 losses, h = 1e-2.
  it('agree with central finite differences of the VAE loss (independent of tf.grads)', async () => {
    await readyTf();
    const layout = vaeLayout(spec);
    const params = initParams(spec, seededRandomSource('g', 'init'));
    const rng = seededRandomSource('g', 'rows');
    const n = 12;
    const codes = [Int32Array.from({ length: n }, () => uniformInt(rng, 3)), Int32Array.from({ length: n }, () => uniformInt(rng, 3))];
    const values = Float64Array.from(codes[1], (c) => (c < 2 ? c + 0.3 : Number.NaN));
    const rows = { rows: n, codes, values: [null, values] };
    const { x, valueMask } = encoding.encode(rows, 0, n);
    const eps = drawNormals(seededRandomSource('g', 'eps'), n * spec.latent);
    const loss = (p: Float32Array): number =>
      tf.tidy(() => {
        const { w, b } = paramTensors(layout, p);
        const batch = { x: tf.tensor2d(x, [n, encoding.width]), valueMask: tf.tensor2d(valueMask, [n, 1]), eps: tf.tensor2d(eps, [n, spec.latent]) };
        return vaeLoss(spec, layout, w, b, batch).loss.dataSync()[0];
      });
    const { w, b } = paramTensors(layout, params);
    const g = chunkSum(spec, layout, w, b, x, valueMask, eps, n, 1e9).sum; // no clipping: the full gradient
    tf.dispose([...w, ...b]);
    const h = 1e-2;
    let checked = 0;
    const errs: number[] = [];
    for (let k = 0; k < layout.size; k += 3) {
      const p = Float32Array.from(params);
      p[k] = params[k] + h;
      const up = loss(p);
      p[k] = params[k] - h;
      const fd = (up - loss(p)) / (2 * h);
      errs.push(Math.abs(fd - g[k]) / Math.max(1, Math.abs(g[k])));
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    // A step of h can cross a ReLU kink (a few coordinates then differ by O(h)); a wrong derivative
    // moves most coordinates. Measured: median 6e-5, 2 of ~95 above 1e-2.
    errs.sort((a, b) => a - b);
    expect(errs[Math.floor(errs.length * 0.9)]).toBeLessThan(1e-3);
    expect(errs[errs.length - 1]).toBeLessThan(0.1);
  });
});
