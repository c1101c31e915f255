// Tests of homomorphic-mode aggregation: exact sums equal to plain and masking bit for bit,
// parameter choice, refusals (tampered ciphertext, wrong length, out of range, too few contributors).
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { plainSum, sumToBigInts } from '../secagg/ModularVector.js';
import { simulateSecAggRound } from '../secagg/simulateSecAggRound.js';
import { HeCustodian } from './HeCustodian.js';
import { chooseHeParams } from './HeParameters.js';
import { simulateHeRound } from './simulateHeRound.js';
import { errorCodeOf as codeOf } from '../../test/support/errorCodeOf.js';

const parties = ['a', 'b', 'c', 'd'];
const m = 4200; // two ciphertexts at N = 4096
const maxAbs = 1n << 28n;
const rng = seededRandomSource('he-test', 'inputs');
const inputs = parties.map(() => Float64Array.from({ length: m }, () => uniformInt(rng, 2 ** 29 + 1) - 2 ** 28));
inputs[0][0] = 2 ** 28;
inputs[1][0] = 2 ** 28;
inputs[2][1] = -(2 ** 28);

describe('homomorphic mode', () => {
  it('chooses a plain modulus with p > 2 * bound', () => {
    expect(chooseHeParams(1000n).plainModulusBits).toBe(20);
    expect(chooseHeParams(2n ** 40n).plainModulusBits).toBe(43);
    expect(() => chooseHeParams(2n ** 49n)).toThrow(FedsynthError);
  });

  it('plain, masking and he give the same sum bit for bit (with a dropout)', async () => {
    const kept = inputs.filter((_, i) => i !== 3);
    const plain = sumToBigInts(plainSum(kept, 64, maxAbs));
    const he = await simulateHeRound({ roundId: 'he-1', parties, threshold: 3, inputs, maxAbsValue: maxAbs, dropped: new Set(['d']), seed: 's' });
    const masked = await simulateSecAggRound({
      config: { roundId: 'mask-1', parties, threshold: 3, vectorLength: m, modulusBits: 64, maxAbsValue: maxAbs },
      inputs,
      seed: 's',
      dropAt: new Map([['d', 'maskedInput']]),
    });
    expect(Buffer.from(he.sum.buffer).equals(Buffer.from(new BigInt64Array(plain).buffer))).toBe(true);
    expect(sumToBigInts(masked.sum)).toEqual(plain);
    expect(he.contributors).toEqual(['a', 'b', 'c']);
    // 32-bit masking agrees too, since |sum| < 2^31 here.
    const masked32 = await simulateSecAggRound({ config: { roundId: 'mask-2', parties, threshold: 3, vectorLength: m, modulusBits: 32, maxAbsValue: maxAbs }, inputs, seed: 's' });
    expect(sumToBigInts(masked32.sum)).toEqual(sumToBigInts(plainSum(inputs, 64, maxAbs)));
  });

  it('refuses a tampered ciphertext, a wrong-length vector and out-of-range values', async () => {
    const base = { roundId: 'he-2', parties, threshold: 3, inputs, maxAbsValue: maxAbs, seed: 's' };
    const tamper = await codeOf(
      simulateHeRound({ ...base, onContribution: (c) => (c.partyId === 'b' ? { ...c, ciphertexts: c.ciphertexts.map((x, i) => (i === 0 ? x.map((v, j) => (j === 40 ? v ^ 1 : v)) : x)) } : undefined) }),
    );
    expect(tamper).toBe(ErrorCode.BadSignature);
    const short = await codeOf(simulateHeRound({ ...base, onContribution: (c) => (c.partyId === 'c' ? { ...c, vectorLength: m - 1 } : undefined) }));
    expect(short).toBe(ErrorCode.ProtocolViolation);
    const big = inputs.map((v, i) => (i === 3 ? Float64Array.from(v, (x, j) => (j === 9 ? Number(maxAbs) + 1 : x)) : v));
    expect(await codeOf(simulateHeRound({ ...base, inputs: big }))).toBe(ErrorCode.InvalidData);
    const replay = await codeOf(simulateHeRound({ ...base, onContribution: (c) => ({ ...c, roundId: 'he-1' }) }));
    expect(replay).toBe(ErrorCode.OutOfStep);
  });

  it('custodian refuses an aggregate of fewer than t contributors', async () => {
    expect(await codeOf(simulateHeRound({ roundId: 'he-3', parties, threshold: 3, inputs, maxAbsValue: maxAbs, dropped: new Set(['a', 'b']) }))).toBe(ErrorCode.TooFewSurvivors);
    const custodian = await HeCustodian.create(chooseHeParams(10n), 2);
    expect(() => custodian.decrypt({ roundId: 'x', contributors: ['a'], vectorLength: 1, ciphertexts: [new Uint8Array(10)] })).toThrow(/fewer than t/);
    custodian.dispose();
  });
});
