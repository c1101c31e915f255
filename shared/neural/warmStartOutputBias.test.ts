import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { TabularEncoding } from './TabularEncoding.js';
import { vaeLayout, type VaeSpec } from './TabularVae.js';
import { warmStartOutputBias } from './warmStartOutputBias.js';
import { sampleVaeRows } from './sampleVaeRows.js';

const encoding = new TabularEncoding([
  { kind: 'categorical', name: 'a', size: 3 },
  { kind: 'categorical', name: 'b', size: 2 },
]);
const spec: VaeSpec = { encoding, hidden: [4], latent: 2, offsetSigma: 0.1 };

describe('warmStartOutputBias', () => {
  it('makes a decoder with zero weights sample the given marginal (negative noisy counts clamped)', async () => {
    const zero = new Float32Array(vaeLayout(spec).size);
    const p = warmStartOutputBias(spec, zero, [[700, 200, 100], null]);
    const rows = await sampleVaeRows(spec, p, 20000, seededRandomSource('w', 's'));
    const freq = [0, 0, 0];
    for (const c of rows.codes[0]) freq[c]++;
    // sd of each frequency <= sqrt(0.25 / 20000) = 0.0035; 0.02 is > 5 sd (false-positive rate < 1e-6).
    [0.7, 0.2, 0.1].forEach((q, k) => expect(Math.abs(freq[k] / 20000 - q)).toBeLessThan(0.02));
    const b = warmStartOutputBias(spec, zero, [[-5, 10, 30], [1, 1]]);
    const out = vaeLayout(spec).layers.at(-1)!;
    const bias = b.subarray(out.offset + out.inputs * out.outputs);
    expect(bias[0]).toBeCloseTo(Math.log(1e-3 / 3), 5);
    expect(bias[2]).toBeCloseTo(Math.log(0.75), 5);
    expect(() => warmStartOutputBias(spec, zero, [[1, 2], null])).toThrow(/codes/);
  });
});
