import { beforeAll, describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { TabularEncoding } from './TabularEncoding.js';
import { initParams, paramTensors, vaeLayout, type VaeSpec } from './TabularVae.js';
import { decoderOutputs, sampleVaeRows } from './sampleVaeRows.js';
import { drawNormals } from './clippedGradientSum.js';
import { readyTf } from './tfRuntime.js';

const encoding = new TabularEncoding([
  { kind: 'categorical', name: 'a', size: 3 },
  { kind: 'continuous', name: 'v', size: 4, edges: [0, 10, 100, 1000], integer: true },
]);
const spec: VaeSpec = { encoding, hidden: [16], latent: 4, offsetSigma: 0.1 };

describe('sampleVaeRows', () => {
  beforeAll(readyTf);
  it('is deterministic under a seed and gives codes in range, values inside their bins', async () => {
    const params = initParams(spec, seededRandomSource('s', 'init'));
    const a = await sampleVaeRows(spec, params, 2000, seededRandomSource('s', 'sample'));
    const b = await sampleVaeRows(spec, params, 2000, seededRandomSource('s', 'sample'));
    expect(a.codes).toEqual(b.codes);
    expect(a.values).toEqual(b.values);
    const codes = a.codes[1];
    const values = a.values[1]!;
    for (let r = 0; r < a.rows; r++) {
      expect(a.codes[0][r]).toBeGreaterThanOrEqual(0);
      expect(a.codes[0][r]).toBeLessThan(3);
      const c = codes[r];
      if (c === 3) expect(values[r]).toBeNaN();
      else {
        expect(Number.isInteger(values[r])).toBe(true);
        expect(values[r]).toBeGreaterThanOrEqual([0, 10, 100][c]);
        expect(values[r]).toBeLessThanOrEqual([9, 99, 1000][c]);
      }
    }
    expect(new Set(codes).size).toBe(4);
  });

  /** p[r][k] = softmax of column j's head for latent row r (float64). */
  function headProbabilities(params: Float32Array, latents: Float32Array, n: number, j: number): number[][] {
    const layout = vaeLayout(spec);
    const { w, b } = paramTensors(layout, params);
    const out = decoderOutputs(spec, layout, w, b, latents, n);
    const size = encoding.columns[j].size;
    return Array.from({ length: n }, (_, r) => {
      const l = Array.from({ length: size }, (_, k) => out[r * encoding.width + encoding.codeStart[j] + k]);
      const max = Math.max(...l);
      const e = l.map((x) => Math.exp(x - max));
      const t = e.reduce((x, y) => x + y, 0);
      return e.map((x) => x / t);
    });
  }

  it('systematic: the first code\'s count is within one of its expected count, every column\'s counts far closer than independent draws', async () => {
    const params = initParams(spec, seededRandomSource('s', 'init-systematic'));
    const n = 5000;
    const latents = drawNormals(seededRandomSource('s', 'latents'), n * spec.latent);
    const expected = [0, 1].map((j) => headProbabilities(params, latents, n, j).reduce((acc, p) => acc.map((a, k) => a + p[k]), new Array(encoding.columns[j].size).fill(0)));
    const counts = (codes: Int32Array, size: number) => Array.from({ length: size }, (_, k) => codes.filter((c) => c === k).length);
    // Sum over both columns' codes of (count - expected)^2, per sampler, over 5 seeds.
    const squared = { systematic: 0, independent: 0 };
    for (const seed of ['a', 'b', 'c', 'd', 'e']) {
      for (const method of ['systematic', 'independent'] as const) {
        const rows = await sampleVaeRows(spec, params, n, seededRandomSource('s', seed), { latents, method });
        [0, 1].forEach((j) => counts(rows.codes[j], encoding.columns[j].size).forEach((c, k) => (squared[method] += (c - expected[j][k]) ** 2)));
        if (method === 'systematic') [0, 1].forEach((j) => expect(Math.abs(counts(rows.codes[j], encoding.columns[j].size)[0] - expected[j][0])).toBeLessThanOrEqual(1 + 1e-6));
      }
    }
    // Later codes vary only through which rows the earlier codes took.
    expect(squared.systematic).toBeLessThan(squared.independent / 10);
  });

  it('systematic: every row is still a draw from its own head (per-row frequencies over repeated samples)', async () => {
    const params = initParams(spec, seededRandomSource('s', 'init-rows'));
    const n = 6;
    const latents = drawNormals(seededRandomSource('s', 'latents-rows'), n * spec.latent);
    const p = headProbabilities(params, latents, n, 1);
    const reps = 4000;
    const freq = Array.from({ length: n }, () => new Array(4).fill(0));
    const rng = seededRandomSource('s', 'repeat');
    for (let t = 0; t < reps; t++) {
      const rows = await sampleVaeRows(spec, params, n, rng, { latents });
      rows.codes[1].forEach((c, r) => freq[r][c]++);
    }
    // Each frequency is Binomial(4000, p)/4000 with sd <= 0.0079; 24 cells at 6 sd: false-positive
    // rate < 24 * 2e-9 (normal tail). A sampler that ignored the rows' own heads (e.g. one code per
    // systematic stage regardless of p_r) would miss by far more.
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < 4; k++) {
        const sd = Math.sqrt((p[r][k] * (1 - p[r][k])) / reps);
        expect(Math.abs(freq[r][k] / reps - p[r][k])).toBeLessThanOrEqual(6 * sd + 1e-9);
      }
    }
  }, 120_000);
});
