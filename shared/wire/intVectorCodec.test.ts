import { describe, expect, it } from 'vitest';
import { decodeIntVector, encodeIntVector } from './intVectorCodec.js';

describe('intVectorCodec', () => {
  it('round-trips int32 and int64 vectors exactly', () => {
    const small = [0, -1, 5, 2147483647, -2147483648];
    const e = encodeIntVector(small);
    expect(e.elementBits).toBe(32);
    expect([...decodeIntVector(e.bytes, 32, small.length)]).toEqual(small);
    const big = [1, 2 ** 40, -(2 ** 45)];
    const e2 = encodeIntVector(big);
    expect(e2.elementBits).toBe(64);
    expect([...decodeIntVector(e2.bytes, 64, big.length)]).toEqual(big);
  });
  it('refuses wrong lengths, widths and non-integers', () => {
    const e = encodeIntVector([1, 2, 3]);
    expect(() => decodeIntVector(e.bytes, 32, 4)).toThrowError(/expected 4 elements/);
    expect(() => decodeIntVector(e.bytes, 16, 3)).toThrowError(/element_bits/);
    expect(() => encodeIntVector([1.5])).toThrowError(/not a safe integer/);
  });
});
