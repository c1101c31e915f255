// Tests of the Wilson score interval, the probit behind it and the residual risk formula: published
// vectors (Newcombe, Stat. Med. 1998, Table I, 95% score intervals), edge cases of the risk, bad input.
import { describe, expect, it } from 'vitest';
import { errorCodeOfSync as errorCodeOf } from '../../../test/support/errorCodeOf.js';
import { normalQuantile } from './normalQuantile.js';
import { wilsonScore } from './wilsonScore.js';
import { attackRisk } from './attackRisk.js';

describe('normalQuantile', () => {
  it('matches tabulated quantiles of the standard normal', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 8);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874040841, 8);
    expect(normalQuantile(0.5)).toBe(0);
    expect(errorCodeOf(() => normalQuantile(1))).toBe('INVALID_ARGUMENT');
  });
});

describe('wilsonScore', () => {
  // Newcombe 1998, Table I, method 3 (score interval without continuity correction).
  const vectors: [number, number, number, number][] = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ];
  it.each(vectors)('%i of %i -> [%f, %f]', (k, n, lo, hi) => {
    const r = wilsonScore(n, k, 0.95);
    expect(r.ci[0]).toBeCloseTo(lo, 4);
    expect(r.ci[1]).toBeCloseTo(hi, 4);
    expect(r.rate).toBeCloseTo((r.ci[0] + r.ci[1]) / 2, 12);
  });
  it('rejects impossible counts', () => {
    expect(errorCodeOf(() => wilsonScore(0, 0))).toBe('INVALID_ARGUMENT');
    expect(errorCodeOf(() => wilsonScore(10, 11))).toBe('INVALID_ARGUMENT');
    expect(errorCodeOf(() => wilsonScore(10, -1))).toBe('INVALID_ARGUMENT');
    expect(errorCodeOf(() => wilsonScore(10, 1, 1))).toBe('INVALID_ARGUMENT');
  });
});

describe('attackRisk', () => {
  const counts = (successes: number, controlSuccesses: number, baselineSuccesses = 0) => ({
    attacks: 1000,
    successes,
    controlAttacks: 1000,
    controlSuccesses,
    baselineAttacks: 1000,
    baselineSuccesses,
  });
  it('is 0 with an interval containing 0 when training and control succeed equally', () => {
    const r = attackRisk(counts(300, 300));
    expect(r.risk).toBe(0);
    expect(r.residual!.value).toBeCloseTo(0, 12);
    expect(r.ci![0]).toBe(0);
    expect(r.ci![1]).toBeGreaterThan(0.05);
    expect(r.warnings).toEqual([]);
  });
  it('equals (main - control)/(1 - control) of the Wilson rates', () => {
    const r = attackRisk(counts(600, 200));
    const m = wilsonScore(1000, 600).rate;
    const c = wilsonScore(1000, 200).rate;
    expect(r.risk).toBeCloseTo((m - c) / (1 - c), 12);
    expect(r.ci![0]).toBeGreaterThan(0.4);
    expect(r.ci![1]).toBeLessThan(0.6);
  });
  it('clamps a negative residual to 0 but keeps it in `residual`', () => {
    const r = attackRisk(counts(100, 300));
    expect(r.risk).toBe(0);
    expect(r.residual!.value).toBeLessThan(-0.2);
    expect(r.ci).toEqual([0, 0]);
  });
  it('reaches 1 when every training attack succeeds and no control attack does', () => {
    const r = attackRisk(counts(1000, 0));
    expect(r.risk).toBeGreaterThan(0.99);
    expect(r.ci![1]).toBe(1);
  });
  it('warns when the attack is no better than random guessing', () => {
    expect(attackRisk(counts(100, 100, 150)).warnings[0]).toMatch(/no better than random guessing/);
  });
  it('rejects negative or non-finite counts', () => {
    expect(errorCodeOf(() => attackRisk({ ...counts(1, 1), controlSuccesses: -1 }))).toBe('INVALID_ARGUMENT');
    expect(errorCodeOf(() => attackRisk({ ...counts(1, 1), successes: NaN }))).toBe('INVALID_ARGUMENT');
  });
});
