// OffsetScale: known values of the normal CDF, exact integer round trips on both scales, and the
// probit scale's default: N(0, 1) offsets decode to values uniform within the bin.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { standardNormal } from '../data/simulationSamplers.js';
import { normalCdf, offsetOfPosition, positionOfOffset } from './OffsetScale.js';
import { TabularEncoding } from './TabularEncoding.js';

const block = { kind: 'continuous', name: 'v', size: 4, edges: [0, 10, 100, 1000], integer: true } as const;

describe('OffsetScale', () => {
  it('normalCdf matches tabulated values to 2e-7', () => {
    const table: [number, number][] = [[0, 0.5], [1, 0.8413447461], [-1, 0.1586552539], [1.96, 0.9750021049], [-3, 0.0013498980], [2.5, 0.9937903347], [6, 0.9999999990]];
    for (const [x, p] of table) expect(Math.abs(normalCdf(x) - p)).toBeLessThan(2e-7);
  });

  it('every integer of every bin round-trips through its offset on both scales', () => {
    for (const scale of ['linear', 'probit'] as const) {
      for (let code = 0; code < 3; code++) {
        const last = code === 2;
        for (let v = block.edges[code]; v < block.edges[code + 1] + (last ? 1 : 0); v++) {
          expect(TabularEncoding.valueOf(block, code, TabularEncoding.offsetOf(block, code, v, scale), scale)).toBe(v);
        }
      }
      expect(positionOfOffset(offsetOfPosition(0.3, scale), scale)).toBeCloseTo(0.3, 6);
    }
  });

  it('probit: standard normal offsets decode uniformly within the bin (the untrained default)', () => {
    const rng = seededRandomSource('offset-scale', 'uniform');
    const n = 40_000;
    const counts = new Array(10).fill(0);
    for (let i = 0; i < n; i++) counts[TabularEncoding.valueOf(block, 0, standardNormal(rng), 'probit')]++;
    // Each share is Binomial(40000, 0.1)/40000, sd 0.0015; 6 sd over 10 cells: false-positive rate
    // < 2e-8 (normal tail). The linear scale with the same offsets piles 16% on each end value.
    for (const c of counts) expect(Math.abs(c / n - 0.1)).toBeLessThan(6 * 0.0015);
  });
});
