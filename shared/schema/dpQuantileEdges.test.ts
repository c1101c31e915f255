// Tests: the Smith 2011 exponential-mechanism quantile has the exact selection probabilities on a
// tiny case (5-sigma binomial check, false-positive rate about 6e-7, normal approximation), is
// accurate at large epsilon, stays in the public range, and reports the rho it spends.
import { describe, expect, it } from 'vitest';
import { dpQuantile, dpQuantileEdges } from './dpQuantileEdges.js';
import { seededRandomSource } from '../dp/random/RandomSource.js';

describe('dpQuantile (Smith 2011)', () => {
  it('selects intervals with probability proportional to length * exp(-eps |k - qn| / 2)', () => {
    // One value 5 in [0, 10], q = 0: [0,5) has utility 0, [5,10] utility -1, equal lengths.
    const rng = seededRandomSource('dpq', 'test');
    const eps = 2;
    const p = 1 / (1 + Math.exp(-eps / 2)); // 0.731
    const N = 20_000;
    let below = 0;
    for (let i = 0; i < N; i++) if (dpQuantile([{ value: 5, count: 1 }], 0, 0, 10, eps, rng) < 5) below++;
    const sd = Math.sqrt((p * (1 - p)) / N);
    expect(Math.abs(below / N - p)).toBeLessThan(5 * sd);
    // Planted fault: a mechanism without the factor 1/2 would select [0,5) with probability 0.881,
    // which this check rejects (it is ~48 sd away).
    const wrong = 1 / (1 + Math.exp(-eps));
    expect(Math.abs(below / N - wrong)).toBeGreaterThan(5 * sd);
  });

  it('is accurate at large epsilon and stays within the public range', () => {
    const rng = seededRandomSource('dpq', 'accuracy');
    const hist = Array.from({ length: 1000 }, (_, i) => ({ value: i, count: 1 }));
    for (let t = 0; t < 50; t++) {
      const m = dpQuantile(hist, 0.5, -100, 2000, 5, rng);
      expect(m).toBeGreaterThanOrEqual(480);
      expect(m).toBeLessThanOrEqual(520);
      const x = dpQuantile(hist, 0.9, -100, 2000, 0.01, rng);
      expect(x).toBeGreaterThanOrEqual(-100);
      expect(x).toBeLessThanOrEqual(2000);
    }
    expect(() => dpQuantile(hist, 0.5, 0, 10, Number.NaN, rng)).toThrow();
    expect(() => dpQuantile(hist, 0.5, 10, 0, 1, rng)).toThrow();
  });

  it('edges spend exactly the requested rho and are strictly increasing', () => {
    const rng = seededRandomSource('dpq', 'edges');
    const hist = Array.from({ length: 90 }, (_, i) => ({ value: i + 17, count: 100 + i }));
    const r = dpQuantileEdges(hist, 0, 120, 5, 0.1, rng, true);
    expect(r.rho).toBeCloseTo(0.1, 12);
    expect(r.edges[0]).toBe(0);
    expect(r.edges[r.edges.length - 1]).toBe(120);
    r.edges.forEach((e, i) => i > 0 && expect(e).toBeGreaterThan(r.edges[i - 1]!));
    expect(r.edges.every(Number.isInteger)).toBe(true);
  });
});
