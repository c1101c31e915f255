// Tests of exact rational conversion: doubles become their exact dyadic value; strings parse exactly.
import { describe, expect, it } from 'vitest';
import { isqrt, parseRational, rationalFromNumber } from './Rational.js';

describe('Rational', () => {
  it('converts doubles exactly', () => {
    expect(rationalFromNumber(100)).toEqual({ num: 100n, den: 1n });
    expect(rationalFromNumber(0.5)).toEqual({ num: 1n, den: 2n });
    expect(rationalFromNumber(0.1)).toEqual({ num: 3602879701896397n, den: 36028797018963968n });
    expect(rationalFromNumber(5e-324)).toEqual({ num: 1n, den: 1n << 1074n });
    expect(() => rationalFromNumber(NaN)).toThrow();
  });
  it('parses decimal and fraction strings exactly', () => {
    expect(parseRational('0.1')).toEqual({ num: 1n, den: 10n });
    expect(parseRational('6/4')).toEqual({ num: 3n, den: 2n });
    expect(parseRational('1e3')).toEqual({ num: 1000n, den: 1n });
    expect(parseRational('2.5e-1')).toEqual({ num: 1n, den: 4n });
    expect(() => parseRational('abc')).toThrow();
  });
  it('isqrt is exact', () => {
    for (const n of [0n, 1n, 15n, 16n, 17n, (1n << 120n) + 5n]) {
      const r = isqrt(n);
      expect(r * r <= n && (r + 1n) * (r + 1n) > n).toBe(true);
    }
  });
});
