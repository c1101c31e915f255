// Unit tests of the arithmetic under secure aggregation: two's-complement encoding, wrapping
// 32/64-bit add/sub (checked against BigInt), the mask PRG, modulus choice and the SecAgg+ graph.
import { createCipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { FedsynthError } from '../errors/FedsynthError.js';
import { applyMask, applyMasks, maskVector } from './MaskPrg.js';
import { addInto, decodeSigned, encodeSigned, subInto, sumToBigInts } from './ModularVector.js';
import { buildNeighbourGraph } from './NeighbourGraph.js';
import { chooseModulusBits, validateRoundConfig, type RoundConfig } from './RoundConfig.js';

describe('ModularVector', () => {
  it('encodes signed values in two\'s complement and decodes them back (32 and 64 bit)', () => {
    const v = Float64Array.from([0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 12345, -98765]);
    expect(sumToBigInts(decodeSigned(encodeSigned(v, 32, 2n ** 31n), 32))).toEqual(Array.from(v, (x) => BigInt(x)));
    const w = Float64Array.from([0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), -(2 ** 32), 2 ** 32 + 5]);
    expect(sumToBigInts(decodeSigned(encodeSigned(w, 64, 2n ** 60n), 64))).toEqual(Array.from(w, (x) => BigInt(x)));
  });

  it('64-bit add/sub with carries agree with BigInt arithmetic mod 2^64', () => {
    const rng = seededRandomSource('mv', 'test');
    const n = 2000;
    const a = new Uint32Array(2 * n);
    const b = new Uint32Array(2 * n);
    for (let i = 0; i < 2 * n; i++) {
      a[i] = rng.nextUint32();
      b[i] = i % 7 === 0 ? 0xffffffff : rng.nextUint32();
    }
    const ref = (x: Uint32Array, i: number): bigint => (BigInt(x[2 * i + 1]) << 32n) | BigInt(x[2 * i]);
    const sum = a.slice();
    addInto(sum, b, 64);
    const diff = a.slice();
    subInto(diff, b, 64);
    for (let i = 0; i < n; i++) {
      expect(ref(sum, i)).toBe(BigInt.asUintN(64, ref(a, i) + ref(b, i)));
      expect(ref(diff, i)).toBe(BigInt.asUintN(64, ref(a, i) - ref(b, i)));
    }
  });

  it('applying then removing a mask is the identity; masks differ by key', () => {
    const key = new Uint8Array(32).fill(9);
    for (const bits of [32, 64] as const) {
      const x = encodeSigned(Float64Array.from({ length: 70001 }, (_, i) => i - 35000), bits, 1n << 20n);
      const y = x.slice();
      applyMask(y, key, 1, bits);
      expect(Buffer.from(y.buffer).equals(Buffer.from(x.buffer))).toBe(false);
      applyMask(y, key, -1, bits);
      expect(Buffer.from(y.buffer).equals(Buffer.from(x.buffer))).toBe(true);
    }
    expect(Buffer.from(maskVector(key, 8, 32).buffer).equals(Buffer.from(maskVector(new Uint8Array(32), 8, 32).buffer))).toBe(false);
  });

  it('fused applyMasks equals the masks applied one by one (mixed signs, > one group, ragged chunks)', () => {
    const rng = seededRandomSource('mv', 'fused');
    for (const bits of [32, 64] as const) {
      for (const length of [1, 5, 32768, 32769, 70001]) {
        const words = bits === 32 ? length : 2 * length;
        const x = new Uint32Array(words);
        for (let i = 0; i < words; i++) x[i] = rng.nextUint32();
        const terms = Array.from({ length: 11 }, (_, i) => ({ key: rng.nextBytes(32), sign: (i % 3 === 0 ? -1 : 1) as 1 | -1 }));
        const fused = x.slice();
        applyMasks(fused, terms, bits);
        const serial = x.slice();
        for (const t of terms) {
          const mask = maskVector(t.key, length, bits);
          (t.sign === 1 ? addInto : subInto)(serial, mask, bits);
        }
        expect(Buffer.from(fused.buffer).equals(Buffer.from(serial.buffer))).toBe(true);
        // Planted fault: dropping one term must change the result.
        const missing = x.slice();
        applyMasks(missing, terms.slice(1), bits);
        expect(Buffer.from(missing.buffer).equals(Buffer.from(serial.buffer))).toBe(false);
      }
    }
  });

  it('the mask is the AES-256-CTR keystream (zero IV) as little-endian words (docs/secagg.md)', () => {
    const key = Uint8Array.from({ length: 32 }, (_, i) => i);
    const ks = createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(40));
    const dv = new DataView(ks.buffer, ks.byteOffset, ks.byteLength);
    const expected = Array.from({ length: 10 }, (_, i) => dv.getUint32(4 * i, true));
    expect(Array.from(maskVector(key, 10, 32))).toEqual(expected);
    expect(Array.from(maskVector(key, 5, 64))).toEqual(expected);
  });

  it('the 32-bit encoder refuses NaN, fractions, +-(bound + 1) and 2^31 and accepts the bounds', () => {
    for (const bad of [NaN, 0.5, -0.5, 11, -11, 2 ** 31, Infinity]) expect(() => encodeSigned(Float64Array.from([bad]), 32, 10n)).toThrow(FedsynthError);
    expect(() => encodeSigned(Int32Array.from([-11]), 32, 10n)).toThrow(FedsynthError);
    expect(sumToBigInts(decodeSigned(encodeSigned(Float64Array.from([10, -10, -0]), 32, 10n), 32))).toEqual([10n, -10n, 0n]);
  });

  it('refuses non-integers and out-of-range values', () => {
    expect(() => encodeSigned(Float64Array.from([1.5]), 32, 10n)).toThrow(FedsynthError);
    expect(() => encodeSigned(Float64Array.from([11]), 32, 10n)).toThrow(FedsynthError);
    expect(() => encodeSigned(BigInt64Array.from([-11n]), 64, 10n)).toThrow(FedsynthError);
  });
});

describe('RoundConfig and NeighbourGraph', () => {
  it('chooses the smallest modulus with 2 * |sum| < 2^k', () => {
    expect(chooseModulusBits({ maxAbsValue: 100n, maxAbsSum: 2n ** 31n - 1n })).toBe(32);
    expect(chooseModulusBits({ maxAbsValue: 100n, maxAbsSum: 2n ** 31n })).toBe(64);
    expect(() => chooseModulusBits({ maxAbsValue: 1n, maxAbsSum: 2n ** 63n })).toThrow(FedsynthError);
  });

  it('refuses configs whose sum could wrap, bad thresholds and duplicate ids', () => {
    const ok: RoundConfig = { roundId: 'r', parties: ['a', 'b', 'c'], threshold: 2, vectorLength: 1, modulusBits: 32 };
    expect(() => validateRoundConfig(ok)).not.toThrow();
    expect(() => validateRoundConfig({ ...ok, maxAbsValue: 2n ** 30n })).toThrow(/wrap/);
    expect(() => validateRoundConfig({ ...ok, threshold: 1 })).toThrow(FedsynthError);
    expect(() => validateRoundConfig({ ...ok, parties: ['a', 'a', 'c'] })).toThrow(FedsynthError);
  });

  it('SecAgg+ graph is symmetric, public (same for everyone), round-dependent and of degree 2*ceil(k/2)', () => {
    const parties = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const cfg: RoundConfig = { roundId: 'g1', parties, threshold: 21, vectorLength: 1, modulusBits: 32, neighbours: 6 };
    const g = buildNeighbourGraph(cfg);
    for (const [p, nb] of g.neighbours) {
      expect(nb.size).toBe(6);
      expect(nb.has(p)).toBe(false);
      for (const q of nb) expect(g.neighbours.get(q)!.has(p)).toBe(true);
    }
    expect(g.shareThreshold).toBe(Math.ceil((21 * 7) / 40));
    const again = buildNeighbourGraph(cfg);
    expect([...again.neighbours.get('p0')!].sort()).toEqual([...g.neighbours.get('p0')!].sort());
    const other = buildNeighbourGraph({ ...cfg, roundId: 'g2' });
    expect(parties.some((p) => [...other.neighbours.get(p)!].sort().join() !== [...g.neighbours.get(p)!].sort().join())).toBe(true);
  });
});
