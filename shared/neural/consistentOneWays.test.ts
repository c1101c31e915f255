import { describe, expect, it } from 'vitest';
import { consistentOneWays, projectToSimplex } from './consistentOneWays.js';

/** Brute force: the projection's KKT conditions (x >= 0, sum x = total, x_k > 0 => y_k - x_k = tau, x_k = 0 => y_k <= tau). */
function checkProjection(y: number[], total: number): void {
  const x = projectToSimplex(y, total);
  expect(x.reduce((s, v) => s + v, 0)).toBeCloseTo(total, 9);
  const positive = y.map((v, k) => (x[k] > 0 ? v - x[k] : NaN)).filter((v) => !Number.isNaN(v));
  const tau = positive[0];
  positive.forEach((t) => expect(t).toBeCloseTo(tau, 9));
  y.forEach((v, k) => {
    expect(x[k]).toBeGreaterThanOrEqual(0);
    if (x[k] === 0) expect(v).toBeLessThanOrEqual(tau + 1e-9);
  });
}

describe('consistentOneWays', () => {
  it('projects onto the scaled simplex (KKT conditions hold)', () => {
    checkProjection([10, -3, 5, 0.5, 2], 12);
    checkProjection([10, -3, 5, 0.5, 2], 30);
    checkProjection([-1, -2, -3], 1);
    expect(Array.from(projectToSimplex([700, 200, 100], 1000))).toEqual([700, 200, 100]);
  });

  it('takes the inverse-variance weighted total and removes the mass clamping gives to empty codes', () => {
    // Column a (2 codes) sums to 1010, column b (8 codes) to 1090: weights 1/2 and 1/8.
    const r = consistentOneWays([
      [600, 410],
      [500, 500, 30, -20, 25, -15, 40, 30],
    ]);
    expect(r.total).toBeCloseTo((1010 / 2 + 1090 / 8) / (1 / 2 + 1 / 8), 9);
    r.probabilities.forEach((p) => expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12));
    // The small noisy cells of b lose mass to the threshold: b's empty codes get less than clamping gives.
    const clamped = [500, 500, 30, 0, 25, 0, 40, 30].map((v) => v / 1125);
    expect(r.probabilities[1][2] + r.probabilities[1][4] + r.probabilities[1][6] + r.probabilities[1][7]).toBeLessThan(clamped[2] + clamped[4] + clamped[6] + clamped[7]);
    expect(() => consistentOneWays([[1, Number.NaN]])).toThrow(/finite/);
  });
});
