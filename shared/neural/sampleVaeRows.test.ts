import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { TabularEncoding } from './TabularEncoding.js';
import { initParams, type VaeSpec } from './TabularVae.js';
import { sampleVaeRows } from './sampleVaeRows.js';

const encoding = new TabularEncoding([
  { kind: 'categorical', name: 'a', size: 3 },
  { kind: 'continuous', name: 'v', size: 4, edges: [0, 10, 100, 1000], integer: true },
]);
const spec: VaeSpec = { encoding, hidden: [16], latent: 4, offsetSigma: 0.1 };

describe('sampleVaeRows', () => {
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
});
