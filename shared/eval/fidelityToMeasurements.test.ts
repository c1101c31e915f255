// Tests of fidelityToMeasurements: TV 0 against an exact measurement, the noisy counts clamped at 0,
// the noise floor from the published E|N(0, s^2)| = s sqrt(2/pi), and a mismatch caught.
import { describe, expect, it } from 'vitest';
import { makeCodeTable } from './CodeTable.js';
import { fidelityToMeasurements } from './fidelityToMeasurements.js';

const synth = makeCodeTable(['a', 'b'], [2, 3], [Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 1, 2, 2])]);

describe('fidelityToMeasurements', () => {
  it('is 0 against the exact marginal, the noise floor follows the stddev, negative noisy counts are clamped', () => {
    const [exact, pair] = fidelityToMeasurements(synth, [
      { attrs: ['a'], values: [2, 2], stddev: 1 },
      { attrs: ['a', 'b'], values: [1, 1, -0.5, 0, 0, 2], stddev: 0.5 }, // the true counts, one cell pushed below 0
    ]);
    expect(exact).toMatchObject({ attrs: ['a'], cells: 2, tv: 0, noiseStddev: 1 });
    expect(exact.noiseFloorTv).toBeCloseTo((2 * Math.sqrt(2 / Math.PI)) / 8, 12);
    expect(pair.tv).toBe(0);
    expect(pair.noiseFloorTv).toBeCloseTo((6 * 0.5 * Math.sqrt(2 / Math.PI)) / 8, 12);
  });

  it('finds a synthetic marginal far from the measurement', () => {
    const [m] = fidelityToMeasurements(synth, [{ attrs: ['b'], values: [0, 0, 4], stddev: 1 }]);
    expect(m.tv).toBeCloseTo(0.5, 12); // synthetic b = (1, 1, 2)/4 vs (0, 0, 1)
  });
});
