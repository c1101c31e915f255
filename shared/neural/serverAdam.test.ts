import { describe, expect, it } from 'vitest';
import { adamState, serverStep } from './serverAdam.js';

describe('serverStep', () => {
  it('takes Adam steps of size lr against the gradient sign at first, with bias correction', () => {
    const opts = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-12 };
    const s1 = serverStep(new Float32Array([1, 1, 1]), adamState(3), [2, -0.001, 0], opts);
    expect(s1.params[0]).toBeCloseTo(0.9, 6);
    expect(s1.params[1]).toBeCloseTo(1.1, 6);
    expect(s1.params[2]).toBe(1); // a zero gradient does not move
    expect(s1.state.step).toBe(1);
    // second step with the same gradient: m_hat = g, v_hat = g^2 again, so the same step size
    const s2 = serverStep(s1.params, s1.state, [2, -0.001, 0], opts);
    expect(s2.params[0]).toBeCloseTo(0.8, 6);
    expect(s2.params[1]).toBeCloseTo(1.2, 6);
  });

  it('refuses a non-finite gradient and a length mismatch', () => {
    expect(() => serverStep(new Float32Array(2), adamState(2), [0, Number.NaN])).toThrow(/not finite/);
    expect(() => serverStep(new Float32Array(2), adamState(3), [0, 0])).toThrow(/parameters/);
  });
});
