import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { TabularEncoding } from './TabularEncoding.js';
import { initParams, type VaeSpec } from './TabularVae.js';
import { calibrateOutputBias } from './calibrateOutputBias.js';
import { sampleVaeRows } from './sampleVaeRows.js';
import { drawNormals } from './clippedGradientSum.js';
import { readyTf } from './tfRuntime.js';

const encoding = new TabularEncoding([
  { kind: 'categorical', name: 'a', size: 4 },
  { kind: 'categorical', name: 'b', size: 3 },
]);
const spec: VaeSpec = { encoding, hidden: [8], latent: 3, offsetSigma: 0.1 };
// Per-bin offset means: the decoder's rows (13 outputs) are wider than the encoding's (11).
const binSpec: VaeSpec = {
  encoding: new TabularEncoding([{ kind: 'continuous', name: 'v', size: 4, edges: [0, 1, 2, 3], integer: false }, ...encoding.columns], 'probit'),
  hidden: [8],
  latent: 3,
  offsetSigma: 1,
  offsetMeans: 'bin',
};

function frequencies(codes: Int32Array, size: number): number[] {
  const f = new Array<number>(size).fill(0);
  for (const c of codes) f[c] += 1 / codes.length;
  return f;
}

describe('calibrateOutputBias', () => {
  it.each([
    ['categorical columns', spec, 0],
    ['after a continuous column with per-bin offset means', binSpec, 1],
  ] as const)('makes a decoder with random weights (latent-dependent heads) sample the target marginal: %s', async (_, spec, a) => {
    // Glorot weights scaled up so that each head's logits depend strongly on z.
    const params = initParams(spec, seededRandomSource('cal', 'init')).map((v) => 3 * v);
    const target = [0.55, 0.3, 0.1, 0.05];
    const targets = spec.encoding.columns.map((_, j) => (j === a ? target : null));
    const before = frequencies((await sampleVaeRows(spec, params, 20000, seededRandomSource('cal', 's'))).codes[a], 4);
    const calibrated = await calibrateOutputBias(spec, params, targets, seededRandomSource('cal', 'c'));
    const rows = await sampleVaeRows(spec, calibrated, 20000, seededRandomSource('cal', 's'));
    const after = frequencies(rows.codes[a], 4);
    // Sampling sd of a frequency <= sqrt(0.25 / 20000) = 0.0035; Monte Carlo error of the 4096 calibration
    // draws adds <= 0.008 sd; 0.04 is > 4.5 combined sd per cell (false-positive rate < 1e-5 over 4 cells).
    target.forEach((t, k) => expect(Math.abs(after[k] - t)).toBeLessThan(0.04));
    // The check can fail: the uncalibrated decoder is far from the target.
    expect(Math.max(...target.map((t, k) => Math.abs(before[k] - t)))).toBeGreaterThan(0.1);
    // Column b (null) and every weight but a's output biases are untouched.
    expect(frequencies(rows.codes[a + 1], 3)).toEqual(frequencies((await sampleVaeRows(spec, params, 20000, seededRandomSource('cal', 's'))).codes[a + 1], 3));
    let changed = 0;
    calibrated.forEach((v, k) => (changed += v !== params[k] ? 1 : 0));
    expect(changed).toBeLessThanOrEqual(4);
  });

  // The backend's heap keeps its largest size (WebAssembly memory never shrinks): calibrating on the
  // latents of every synthetic row in one decoder call kept ~390 MB on coded Adult. 16,384 latent
  // rows of a 400-wide decoder are 26 MB of outputs; in chunks of 1,024 rows the tensors alive at
  // once stay below 4 MB (tf.profile's peakBytes: the backend's tensor bytes, not the JS arrays).
  it('decodes the latents in chunks: the backend never holds the outputs of every row at once', async () => {
    await readyTf();
    const wide = new TabularEncoding([{ kind: 'categorical', name: 'a', size: 200 }, { kind: 'categorical', name: 'b', size: 200 }]);
    const s: VaeSpec = { encoding: wide, hidden: [16], latent: 4, offsetSigma: 1 };
    const params = initParams(s, seededRandomSource('cal', 'wide'));
    const n = 16384;
    const latents = drawNormals(seededRandomSource('cal', 'z'), n * s.latent);
    const flat = Array.from({ length: 200 }, () => 1 / 200);
    // tf.profile returns the engine's one profile object: read each peak before the next profile.
    const calibration = (await tf.profile(() => calibrateOutputBias(s, params, [flat, flat], seededRandomSource('cal', 'c'), { latentSamples: n, iterations: 2, floor: 1e-4, latents }))).peakBytes;
    const sampling = (await tf.profile(async () => (await sampleVaeRows(s, params, n, seededRandomSource('cal', 's'), { latents })).codes[0])).peakBytes;
    expect(n * 400 * 4).toBeGreaterThan(26e6);
    expect(calibration).toBeLessThan(4e6);
    expect(sampling).toBeLessThan(4e6);
  });
});
