// Tests of the KLS 2021 discretization pipeline: Hadamard orthogonality on known vectors, the rounding
// norm bound, the round trip through the ring within the stated error, the plan and its per-round loss.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../random/RandomSource.js';
import { addInto, zeroVector } from '../../secagg/ModularVector.js';
import { RDP_ORDERS, repeatLoss } from '../accounting/PrivacyLoss.js';
import { epsilonFromLoss } from '../accounting/rdpConversion.js';
import { paddedDimension, rotate, rotationSigns, unrotate, walshHadamardInPlace } from './randomizedHadamard.js';
import { conditionalRandomizedRound, randomizedRound, squaredNorm } from './randomizedRounding.js';
import { partySumSensitivity, roundedNormBound } from './roundedNormBound.js';
import { unwrapRingSum, wrapIntoRing } from './ringWrap.js';
import { gradientSensitivity, rederiveGradientRoundPlan, type GradientRoundPlan } from './GradientRoundPlan.js';
import { planGradientRound, ringShareBound } from './planGradientRound.js';
import { addGradientNoiseShare, discretizeClippedRecord, discretizeClippedSum } from './discretizeClippedSum.js';
import { decodeNoisySum } from './decodeNoisySum.js';
import { gradientRoundLoss, gradientRoundRho } from './gradientRoundLoss.js';

const rng = (s: string) => seededRandomSource('gradient-test', s);
const norm = (x: ArrayLike<number>): number => Math.sqrt(squaredNorm(x));

function gaussianVector(d: number, scale: number, seed: string): Float64Array {
  const r = rng(seed);
  const v = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const u1 = (r.nextUint32() + 1) / 4294967297;
    const u2 = r.nextUint32() / 4294967296;
    v[i] = scale * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return v;
}

describe('randomized Hadamard rotation', () => {
  it('H is the Sylvester Walsh-Hadamard matrix / sqrt(n): known images of basis vectors, H H = I', () => {
    const n = 8;
    for (let j = 0; j < n; j++) {
      const e = new Float64Array(n);
      e[j] = 1;
      walshHadamardInPlace(e);
      for (let i = 0; i < n; i++) {
        const popcount = (i & j).toString(2).split('').filter((b) => b === '1').length;
        expect(e[i]).toBeCloseTo((popcount % 2 === 0 ? 1 : -1) / Math.sqrt(n), 14);
      }
      walshHadamardInPlace(e);
      for (let i = 0; i < n; i++) expect(e[i]).toBeCloseTo(i === j ? 1 : 0, 14);
    }
    const two = Float64Array.from([3, 1]);
    walshHadamardInPlace(two);
    expect(Array.from(two).map((v) => v * Math.SQRT2)).toEqual([4, 2].map((v) => expect.closeTo(v, 12)));
  });

  it('rotate pads to a power of two, preserves norms and inner products, and unrotate inverts it', () => {
    expect([1, 2, 3, 5, 1000, 1024, 1025].map(paddedDimension)).toEqual([1, 2, 4, 8, 1024, 1024, 2048]);
    const x = gaussianVector(1000, 1, 'x');
    const y = gaussianVector(1000, 1, 'y');
    const rx = rotate(x, 'seed-1');
    const ry = rotate(y, 'seed-1');
    expect(rx.length).toBe(1024);
    expect(norm(rx)).toBeCloseTo(norm(x), 10);
    let dot = 0;
    let rdot = 0;
    for (let i = 0; i < 1000; i++) dot += x[i] * y[i];
    for (let i = 0; i < 1024; i++) rdot += rx[i] * ry[i];
    expect(rdot).toBeCloseTo(dot, 9);
    const back = unrotate(rx, 'seed-1', 1000);
    for (let i = 0; i < 1000; i++) expect(back[i]).toBeCloseTo(x[i], 12);
    // explicit matrix check at d = 3: H_4 D [x, 0]
    const s = rotationSigns('seed-2', 4);
    const small = rotate(Float64Array.from([1, 2, 3]), 'seed-2');
    const dx = [s[0] * 1, s[1] * 2, s[2] * 3, 0];
    const H = [[1, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]];
    for (let i = 0; i < 4; i++) expect(small[i]).toBeCloseTo(H[i].reduce((a, h, j) => a + (h * dx[j]) / 2, 0), 12);
    // a different seed is a different rotation; the same seed the same one
    expect(Array.from(rotate(x, 'seed-3'))).not.toEqual(Array.from(rx));
    expect(Array.from(rotate(x, 'seed-1'))).toEqual(Array.from(rx));
  });

  it('flattens a spiky vector (coordinates ~ ||x|| / sqrt(d_pad))', () => {
    const spike = new Float64Array(4096);
    spike[7] = 100;
    const r = rotate(spike, 'flat');
    expect(Math.max(...Array.from(r, Math.abs))).toBeCloseTo(100 / 64, 10);
  });
});

describe('randomized rounding', () => {
  it('rounds to floor or ceil, unbiased (seeded; 6-sigma bound on the mean of 20000 draws)', () => {
    const x = Float64Array.from({ length: 20000 }, () => 2.3);
    const r = randomizedRound(x, rng('unbiased'));
    expect(r.every((v) => v === 2 || v === 3)).toBe(true);
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    expect(Math.abs(mean - 2.3)).toBeLessThan((6 * Math.sqrt(0.21)) / Math.sqrt(20000));
    expect(Array.from(randomizedRound(Float64Array.from([-1.5, 4, -0.25]), rng('neg'))).every((v, i) => Math.abs(v - [-1.5, 4, -0.25][i]) < 1)).toBe(true);
  });

  it('conditional rounding always meets the KLS 2021 bound (where unconditional rounding would exceed it often)', () => {
    // x with every coordinate 1/2 has ||x||^2 = d/4; unconditional rounding gives ||R(x)||^2 ~ Bin(d, 1/2),
    // mean d/2; with beta = 0.9 the bound d/2 + sqrt(2 log(1/beta)) sqrt(d) is exceeded in ~18% of draws.
    const d = 1024;
    const x = new Float64Array(d).fill(0.5);
    const bound = roundedNormBound(norm(x), d, 0.9);
    expect(bound * bound).toBeCloseTo(d / 2 + Math.sqrt(2 * Math.log(1 / 0.9)) * Math.sqrt(d), 6);
    const r = rng('conditional');
    let exceededUnconditional = 0;
    for (let t = 0; t < 200; t++) {
      expect(norm(conditionalRandomizedRound(x, bound, r))).toBeLessThanOrEqual(bound);
      if (norm(randomizedRound(x, r)) > bound) exceededUnconditional++;
    }
    expect(exceededUnconditional).toBeGreaterThan(10); // the condition is doing work here
    expect(roundedNormBound(10, 100, 0)).toBe(20);
    expect(partySumSensitivity(10, 100)).toBe(20);
    expect(roundedNormBound(1e6, 1024, Math.exp(-0.5))).toBeLessThan(1e6 * (1 + 1e-6));
  });
});

describe('ring wrap', () => {
  it('wraps values beyond the ring and recovers the sum when it lies in range (KLS 2021 modular arithmetic)', () => {
    const a = Float64Array.from([2 ** 31 + 5, -7, 123]);
    const b = Float64Array.from([-(2 ** 31) - 2, 7, -1000]);
    const acc = zeroVector(3, 32);
    addInto(acc, wrapIntoRing(a, 32), 32);
    addInto(acc, wrapIntoRing(b, 32), 32);
    expect(Array.from(unwrapRingSum(acc, 32))).toEqual([3, 0, -877]);
    const acc64 = zeroVector(2, 64);
    addInto(acc64, wrapIntoRing(Float64Array.from([2 ** 40, -3]), 64), 64);
    addInto(acc64, wrapIntoRing(Float64Array.from([5, -(2 ** 41)]), 64), 64);
    expect(Array.from(unwrapRingSum(acc64, 64))).toEqual([2 ** 40 + 5, -3 - 2 ** 41]);
  });
});

function basePlan(over: Partial<GradientRoundPlan> = {}): GradientRoundPlan {
  const d = 1000;
  return rederiveGradientRoundPlan({
    version: 1, dimension: d, paddedDimension: 1024, rotationSeed: 'round-1', clipNorm: 1, gamma: 1e-3, rounding: 'party-sum', beta: 0,
    sensitivity: 1000 + 32, sampleRate: 0.01, parties: 3, colluders: 0, dropouts: 0, honestMinParties: 3, perPartySigma2: 4e6, bits: 32, ...over,
  });
}

describe('round trip: rotate, scale, round, (noise), wrap, sum over parties, unwrap, unscale, unrotate', () => {
  it('recovers the sum of the parties\' clipped sums within gamma * n * sqrt(d_pad) without noise', () => {
    const plan = basePlan();
    const sums = [0, 1, 2].map((p) => gaussianVector(plan.dimension, 0.3, `party-${p}`));
    const acc = zeroVector(plan.paddedDimension, plan.bits);
    sums.forEach((s, p) => addInto(acc, wrapIntoRing(discretizeClippedSum(s, plan, rng(`round-${p}`)), plan.bits), plan.bits));
    const decoded = decodeNoisySum(acc, plan);
    const truth = new Float64Array(plan.dimension);
    for (const s of sums) s.forEach((v, i) => (truth[i] += v));
    const err = norm(decoded.map((v, i) => v - truth[i]));
    expect(err).toBeLessThan(plan.gamma * 3 * Math.sqrt(plan.paddedDimension));
    // and it is not trivially small: the rounding error is there (expected ~ gamma sqrt(n d / 6))
    expect(err).toBeGreaterThan(plan.gamma * Math.sqrt((3 * plan.dimension) / 12) * 0.5);
  });

  it('with the parties\' noise shares the error is the summed noise, gamma^2 (n sigma^2 + n/4) per coordinate (seeded; 8 sd bound)', () => {
    const plan = basePlan({ perPartySigma2: 400 });
    const sums = [0, 1, 2].map((p) => gaussianVector(plan.dimension, 0.3, `party-${p}`));
    const acc = zeroVector(plan.paddedDimension, plan.bits);
    sums.forEach((s, p) => {
      const ints = discretizeClippedSum(s, plan, rng(`round-${p}`));
      addInto(acc, wrapIntoRing(addGradientNoiseShare(ints, plan, rng(`noise-${p}`)), plan.bits), plan.bits);
    });
    const decoded = decodeNoisySum(acc, plan);
    const truth = new Float64Array(plan.dimension);
    for (const s of sums) s.forEach((v, i) => (truth[i] += v));
    const mse = decoded.reduce((a, v, i) => a + (v - truth[i]) ** 2, 0) / plan.dimension;
    const perCoord = plan.gamma ** 2 * 3 * 400; // plus at most gamma^2 * 3/4 of rounding
    // the mean of 1000 squared (approximately) Gaussian coordinates: sd = sqrt(2/1000) of the mean
    expect(Math.abs(mse / perCoord - 1)).toBeLessThan(8 * Math.sqrt(2 / 1000) + 0.01);
  });

  it('per-record rounding: each record rounded within the KLS bound, the integer sum decodes to the sum', () => {
    const plan = basePlan({ rounding: 'record', beta: Math.exp(-0.5), sensitivity: roundedNormBound(1000, 1024, Math.exp(-0.5)) });
    const records = [0, 1, 2, 3, 4].map((j) => {
      const g = gaussianVector(plan.dimension, 1, `rec-${j}`);
      const s = Math.min(1, plan.clipNorm / norm(g));
      return g.map((v) => v * s);
    });
    const sum = new Float64Array(plan.paddedDimension);
    records.forEach((g, j) => {
      const z = discretizeClippedRecord(g, plan, rng(`rr-${j}`));
      expect(norm(z)).toBeLessThanOrEqual(plan.sensitivity);
      z.forEach((v, i) => (sum[i] += v));
    });
    const decoded = decodeNoisySum(unwrapRingSum(wrapIntoRing(sum, 32), 32), plan);
    const truth = new Float64Array(plan.dimension);
    for (const g of records) g.forEach((v, i) => (truth[i] += v));
    expect(norm(decoded.map((v, i) => v - truth[i]))).toBeLessThan(plan.gamma * 5 * Math.sqrt(plan.paddedDimension));
    // a record above the clip norm is refused (its sensitivity would not hold)
    expect(() => discretizeClippedRecord(records[0].map((v) => 2 * v), plan, rng('x'))).toThrow(/clip norm/);
    expect(() => discretizeClippedSum(records[0], plan, rng('x'))).toThrow(/record/);
  });
});

describe('the round plan and its per-round loss', () => {
  const req = {
    dimension: 100_000, clipNorm: 1, sampleRate: 0.005, rounds: 400, epsilon: 1, delta: 1e-9,
    parties: 3, colluders: 0, dropouts: 0, bits: 32 as const, rotationSeed: 'study/round-1', expectedBatchSize: 225,
  };

  it('meets (epsilon, delta) over the rounds, is minimal, fits the 32-bit ring, and costs ~nothing for rounding', () => {
    const plan = planGradientRound(req);
    expect(plan.paddedDimension).toBe(131072);
    const eps = epsilonFromLoss(repeatLoss(gradientRoundLoss(plan), req.rounds), req.delta);
    expect(eps).toBeLessThanOrEqual(1);
    const less = epsilonFromLoss(repeatLoss(gradientRoundLoss({ ...plan, perPartySigma2: plan.perPartySigma2 * 0.995 }), req.rounds), req.delta);
    expect(less).toBeGreaterThan(1);
    const c = plan.clipNorm / plan.gamma;
    expect(plan.sensitivity / c).toBeCloseTo(1.01, 6); // the default rounding overhead: (c + sqrt(d_pad)) / c
    const fine = planGradientRound({ ...req, roundingOverhead: 1e-6 }); // capped by the ring instead
    expect(fine.sensitivity / (fine.clipNorm / fine.gamma)).toBeLessThan(1 + 1e-5);
    expect(fine.gamma).toBeLessThan(plan.gamma);
    // a party's vector: batch signal + rounding + noise stays within the ring share (6 sd of the noise)
    expect(6 * Math.sqrt(fine.perPartySigma2)).toBeLessThan(ringShareBound(32, 3));
    expect(gradientRoundRho(plan)).toBeCloseTo((plan.sensitivity ** 2) / (2 * 3 * plan.perPartySigma2), 9);
  });

  it('a fixed noise multiplier instead of a target: the per-round rho is 1/(2 z^2); exactly one of the two', () => {
    const { epsilon: _e, delta: _d, rounds: _r, ...rest } = req;
    const plan = planGradientRound({ ...rest, noiseMultiplier: 2 });
    expect(gradientRoundRho(plan)).toBeLessThanOrEqual(1 / 8);
    expect(gradientRoundRho(plan)).toBeGreaterThan((1 / 8) * (1 - 1e-6));
    expect(() => planGradientRound({ ...req, noiseMultiplier: 2 })).toThrow(/either/);
    expect(() => planGradientRound(rest)).toThrow(/either/);
  });

  it('the per-round loss is an RDP curve below the unamplified rho alpha', () => {
    const plan = planGradientRound(req);
    const loss = gradientRoundLoss(plan);
    const rho = gradientRoundRho(plan);
    expect(loss.rho).toBe(0);
    expect(loss.rdp?.length).toBe(RDP_ORDERS.length);
    RDP_ORDERS.forEach((a, i) => expect(loss.rdp?.[i]).toBeLessThanOrEqual(rho * a));
    expect(loss.rdp?.[RDP_ORDERS.findIndex((a) => a >= 10)]).toBeLessThan(0.01 * rho * 10);
  });

  it('an agent re-derives the plan and refuses a coordinator that understates the sensitivity or bends a field', () => {
    const plan = planGradientRound(req);
    expect(rederiveGradientRoundPlan(plan)).toEqual(plan);
    expect(() => rederiveGradientRoundPlan({ ...plan, sensitivity: plan.sensitivity / 2 })).toThrow(/sensitivity/);
    expect(() => rederiveGradientRoundPlan({ ...plan, paddedDimension: 65536 })).toThrow(/paddedDimension/);
    expect(() => rederiveGradientRoundPlan({ ...plan, honestMinParties: 4 })).toThrow(/honestMinParties/);
    expect(() => rederiveGradientRoundPlan({ ...plan, perPartySigma2: 0.1 })).toThrow(/perPartySigma2/);
    expect(() => rederiveGradientRoundPlan({ ...plan, beta: 0.5 })).toThrow(/beta/);
    // a coarser gamma (larger steps) means a SMALLER integer sensitivity: consistent, and charged as such
    const coarse = rederiveGradientRoundPlan({ ...plan, gamma: plan.gamma * 2, sensitivity: plan.sensitivity });
    expect(coarse.sensitivity).toBe(plan.sensitivity);
    // the loss is computed from the re-derived sensitivity: a larger clip norm costs more
    const sensitivity2 = gradientSensitivity(2, plan.gamma, plan.paddedDimension, plan.rounding, plan.beta);
    expect(() => rederiveGradientRoundPlan({ ...plan, clipNorm: 2 })).toThrow(/sensitivity/);
    const bigger = gradientRoundRho({ ...plan, clipNorm: 2, sensitivity: sensitivity2 });
    expect(bigger).toBeGreaterThan(3.9 * gradientRoundRho(plan));
  });
});
