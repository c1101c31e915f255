// Statistical tests of the exact samplers against their pmfs (chi-square, alpha = 1e-6 per test,
// critical values by Wilson-Hilferty; fixed seeds, so the outcome is deterministic).
import { describe, expect, it } from 'vitest';
import { seededRandomSource, type RandomSource } from '../random/RandomSource.js';
import { parseRational } from '../rational/Rational.js';
import { chiSquareGoodnessOfFit } from './chiSquareGoodnessOfFit.js';
import { DiscreteGaussianSampler, addDiscreteGaussianNoise, sampleDiscreteGaussian } from './DiscreteGaussianSampler.js';
import { DiscreteLaplaceSampler } from './DiscreteLaplaceSampler.js';
import { SkellamSampler } from './SkellamSampler.js';
import { PoissonSampler } from './PoissonSampler.js';
import { discreteGaussianPmf, discreteLaplacePmf, discreteLaplaceVariance, skellamPmf } from './referencePmf.js';
import { ExpNegBernoulli } from './ExpNegBernoulli.js';
import { ExpNegTable } from './ExpNegTable.js';
import { expNegBounds } from './expNegBounds.js';
import { createHash } from 'node:crypto';

const ALPHA = 1e-6;

function draw(n: number, f: (rng: RandomSource) => number, stream: string): Int32Array {
  const rng = seededRandomSource('sampler-tests', stream);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = f(rng);
  return out;
}

function moments(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  let q = 0;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i];
    q += xs[i] * xs[i];
  }
  const mean = s / xs.length;
  return { mean, variance: q / xs.length - mean * mean };
}

describe('expNegBounds', () => {
  it('brackets exp(-gamma) * 2^P tightly', () => {
    for (const [a, b] of [[0n, 1n], [1n, 3n], [1n, 1n], [7n, 2n], [1234567n, 1000n], [50n, 1n], [3n, 100000n]] as const) {
      for (const p of [32, 64, 200]) {
        const { lo, hi } = expNegBounds(a, b, p);
        expect(lo <= hi).toBe(true);
        expect(hi - lo <= 4n).toBe(true);
        const g = Number(a) / Number(b);
        const v = Math.exp(-g);
        expect(Number(lo) / 2 ** p).toBeLessThanOrEqual(v * (1 + 1e-12) + 2 ** -p);
        expect(Number(hi) / 2 ** p).toBeGreaterThanOrEqual(v * (1 - 1e-12) - 2 ** -p);
      }
      // consistency across precisions: the 200-bit interval refines the 32-bit one
      const c = expNegBounds(a, b, 32);
      const f = expNegBounds(a, b, 200);
      expect(f.lo >> 168n >= c.lo - 1n && f.hi >> 168n <= c.hi).toBe(true);
    }
  });
});

describe('ExpNegBernoulli', () => {
  it('matches exp(-gamma) in frequency', () => {
    const rng = seededRandomSource('bern', '1');
    for (const [a, b] of [[1n, 2n], [3n, 1n]] as const) {
      const bern = new ExpNegBernoulli(a, b);
      const n = 200_000;
      let k = 0;
      for (let i = 0; i < n; i++) if (bern.sample(rng)) k++;
      const p = Math.exp(-Number(a) / Number(b));
      expect(Math.abs(k - n * p)).toBeLessThan(5.5 * Math.sqrt(n * p * (1 - p))); // |z| < 5.5: alpha ~ 4e-8
    }
  });

  it('resolves the ambiguous first word exactly with more bits', () => {
    // Force the first 32-bit word to equal the lower bound, so the BigInt continuation decides.
    const gamma = [1n, 3n] as const;
    const { lo } = expNegBounds(gamma[0], gamma[1], 32);
    const p32 = Math.exp(-1 / 3) * 2 ** 32;
    const q = Math.min(1, Math.max(0, p32 - Number(lo))); // P(accept | first word = lo)
    const base = seededRandomSource('bern', 'ambiguous');
    let first = true;
    const rng: RandomSource = {
      nextUint32: () => {
        if (first) {
          first = false;
          return Number(lo);
        }
        return base.nextUint32();
      },
      nextBytes: (n) => base.nextBytes(n),
    };
    const bern = new ExpNegBernoulli(gamma[0], gamma[1]);
    let k = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      first = true;
      if (bern.sample(rng)) k++;
    }
    expect(Math.abs(k - n * q)).toBeLessThan(5.5 * Math.sqrt(n * q * (1 - q)) + 1);
  });
});

describe('ExpNegTable', () => {
  it('decides each trial as ExpNegBernoulli does, consuming the same words', () => {
    const gammas: [bigint, bigint][] = [[0n, 1n], [1n, 3n], [5n, 2n], [23n, 1n], [10n ** 20n + 7n, 3n * 10n ** 19n]];
    const table = new ExpNegTable(gammas.length, (i) => ({ num: gammas[i][0], den: gammas[i][1] }));
    const a = seededRandomSource('table', 'same');
    const b = seededRandomSource('table', 'same');
    for (let k = 0; k < 50_000; k++) {
      const i = k % gammas.length;
      expect(table.sample(i, a)).toBe(new ExpNegBernoulli(gammas[i][0], gammas[i][1]).sample(b));
    }
    expect(a.nextUint32()).toBe(b.nextUint32());
    expect(() => table.sample(gammas.length, a)).toThrow(/outside/);
  });

  it('resolves a first word between the thresholds with the BigInt continuation', () => {
    const { lo } = expNegBounds(1n, 3n, 32);
    const base = seededRandomSource('table', 'ambiguous');
    let first = true;
    const rng: RandomSource = {
      nextUint32: () => (first ? ((first = false), Number(lo)) : base.nextUint32()),
      nextBytes: (n) => base.nextBytes(n),
    };
    const q = Math.min(1, Math.max(0, Math.exp(-1 / 3) * 2 ** 32 - Number(lo)));
    const table = new ExpNegTable(1, () => ({ num: 1n, den: 3n }));
    let k = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      first = true;
      if (table.sample(0, rng)) k++;
    }
    expect(Math.abs(k - n * q)).toBeLessThan(5.5 * Math.sqrt(n * q * (1 - q)) + 1); // alpha ~ 4e-8
  });
});

describe('DiscreteGaussianSampler', () => {
  for (const sigma2 of [1, 100, 1e4]) {
    it(`matches N_Z(0, ${sigma2}) by chi-square and moments`, () => {
      const s = new DiscreteGaussianSampler(sigma2);
      const n = 200_000;
      const xs = draw(n, (r) => s.sample(r), `dg/${sigma2}`);
      const r = Math.ceil(Math.sqrt(sigma2) * 12);
      const res = chiSquareGoodnessOfFit(xs, discreteGaussianPmf(sigma2), -r, r, ALPHA);
      expect(res.reject, JSON.stringify(res)).toBe(false);
      const m = moments(xs);
      // Var of N_Z(0, s2) is within 1e-8 of s2 for s2 >= 1 (CKS 2020, Cor. 9); 6-sigma bands.
      expect(Math.abs(m.mean)).toBeLessThan(6 * Math.sqrt(sigma2 / n));
      expect(Math.abs(m.variance - sigma2)).toBeLessThan(6 * sigma2 * Math.sqrt(2 / n));
      // tails: P(|Y| > 5 sigma) < 2 exp(-12.5) ~ 7.5e-6; with n = 2e5, expect ~1.5 (allow 12).
      let far = 0;
      for (const y of xs) if (Math.abs(y) > 5 * Math.sqrt(sigma2)) far++;
      expect(far).toBeLessThan(12);
    });
  }

  it('accepts exact rationals and non-integer variances', () => {
    const xs = draw(100_000, (r) => sampleDiscreteGaussian(parseRational('7/3'), r), 'dg/7-3');
    expect(chiSquareGoodnessOfFit(xs, discreteGaussianPmf(7 / 3), -40, 40, ALPHA).reject).toBe(false);
  });

  // The gradient path's per-party variance (Adult, 3 parties, eps 1: ~8.5e8), where the ExpNegTable
  // path carries the load. Integer cells have expected counts < 5 at n = 2e5, so the test bins
  // y into cells of width ~sigma/8 (the reference pmf summed over each cell), alpha = 1e-6.
  for (const sigma2 of [8.5e8, 849823742.37]) {
    it(`matches N_Z(0, ${sigma2}) by a binned chi-square and moments`, () => {
      const s = new DiscreteGaussianSampler(sigma2);
      const n = 200_000;
      const xs = draw(n, (r) => s.sample(r), `dg/large/${sigma2}`);
      const sigma = Math.sqrt(sigma2);
      const width = Math.round(sigma / 8);
      const bins = 12 * 8; // +-12 sigma
      const pmf = discreteGaussianPmf(sigma2);
      const binPmf = new Map<number, number>();
      for (let b = -bins; b < bins; b++) {
        let m = 0;
        for (let y = b * width; y < (b + 1) * width; y++) m += pmf(y);
        binPmf.set(b, m);
      }
      const binned = xs.map((y) => Math.floor(y / width));
      const res = chiSquareGoodnessOfFit(binned, (b) => binPmf.get(b) ?? 0, -bins, bins - 1, ALPHA);
      expect(res.reject, JSON.stringify(res)).toBe(false);
      const m = moments(xs);
      expect(Math.abs(m.mean)).toBeLessThan(6 * Math.sqrt(sigma2 / n));
      expect(Math.abs(m.variance - sigma2)).toBeLessThan(6 * sigma2 * Math.sqrt(2 / n));
      expect(s.cut).toBeGreaterThan(Math.sqrt(46) * sigma);
      expect(s.cut).toBeLessThan(Math.sqrt(46) * sigma + sigma2 / Math.floor(sigma + 1) + 2);
    });
  }

  it('draws, draw for draw, what the sampler drew before the ExpNegTable thresholds (known answers)', () => {
    // SHA-256 of 50 000 int32 draws (little-endian), seeded stream 'kat' / 'dg/<sigma2>', recorded
    // with the implementation that built one ExpNegBernoulli object per |Y| and per U (commit a94cbb5).
    const known: [number, string][] = [
      [2.5, 'e0bfd549aa01141cc1a3fc6a61df106dcd5cff519e64f3b2e0003f7200557d69'],
      [1e4, '2712134b504755fb698edf1273146a8fed4bd211190dc29356db4b72a6750dbf'],
      [8.5e8, '4d241be0b19d4acba334a36e2fa929656f908f71c22f648fb57a470b5975336f'],
      [849823742.37, '02c72ff06b842857b5b613589269ba026769519fe0a6cdeb8fecd3ab97245c6f'],
    ];
    for (const [sigma2, sha] of known) {
      const s = new DiscreteGaussianSampler(sigma2);
      const rng = seededRandomSource('kat', `dg/${sigma2}`);
      const a = new Int32Array(50_000);
      for (let i = 0; i < a.length; i++) a[i] = s.sample(rng);
      expect(createHash('sha256').update(new Uint8Array(a.buffer)).digest('hex'), `sigma2 ${sigma2}`).toBe(sha);
    }
  });

  it('catches a planted bug: noise with half the variance is rejected', () => {
    const buggy = new DiscreteGaussianSampler(50); // planted fault: sigma^2 halved
    const xs = draw(200_000, (r) => buggy.sample(r), 'dg/planted');
    const res = chiSquareGoodnessOfFit(xs, discreteGaussianPmf(100), -120, 120, ALPHA);
    expect(res.reject).toBe(true);
  });

  it('adds noise to count vectors, keeping the array type, and is deterministic per seed', () => {
    const counts = new Int32Array([5, 0, 100, 7]);
    const a = addDiscreteGaussianNoise(counts, 4, seededRandomSource('s', 'party/0/noise'));
    const b = addDiscreteGaussianNoise(counts, 4, seededRandomSource('s', 'party/0/noise'));
    expect(a).toBeInstanceOf(Int32Array);
    expect(Array.from(a)).toEqual(Array.from(b));
    const f = addDiscreteGaussianNoise(new Float64Array([1, 2]), 4, seededRandomSource('s', 'x'));
    expect(f).toBeInstanceOf(Float64Array);
    expect(() => addDiscreteGaussianNoise(new Float64Array([0.5]), 4, seededRandomSource('s', 'x'))).toThrow(/integer/);
  });

  it('rejects invalid variances', () => {
    for (const bad of [0, -1, NaN, Infinity]) expect(() => new DiscreteGaussianSampler(bad)).toThrow();
  });
});

describe('DiscreteLaplaceSampler', () => {
  for (const scale of [1, 3.5, 40]) {
    it(`matches DLap(${scale})`, () => {
      const s = new DiscreteLaplaceSampler(scale);
      const xs = draw(200_000, (r) => s.sample(r), `dl/${scale}`);
      const r = Math.ceil(scale * 30);
      expect(chiSquareGoodnessOfFit(xs, discreteLaplacePmf(scale), -r, r, ALPHA).reject).toBe(false);
      const m = moments(xs);
      const v = discreteLaplaceVariance(scale);
      expect(Math.abs(m.variance - v)).toBeLessThan(8 * v * Math.sqrt(5 / 200_000));
    });
  }
  it('uses the exact BigInt path for scales with large numerators/denominators', () => {
    const s = new DiscreteLaplaceSampler(2.3); // 2.3 is a dyadic rational with a 2^51 denominator
    const xs = draw(15_000, (r) => s.sample(r), 'dl/big');
    expect(chiSquareGoodnessOfFit(xs, discreteLaplacePmf(2.3), -80, 80, ALPHA).reject).toBe(false);
  });
});

describe('Poisson and Skellam', () => {
  it('Poisson(2.5) matches its pmf', () => {
    const s = new PoissonSampler(parseRational('5/2'));
    const xs = draw(100_000, (r) => s.sample(r), 'poisson');
    const pmf = (k: number): number => {
      if (k < 0) return 0;
      let p = Math.exp(-2.5);
      for (let i = 1; i <= k; i++) p *= 2.5 / i;
      return p;
    };
    expect(chiSquareGoodnessOfFit(xs, pmf, 0, 40, ALPHA).reject).toBe(false);
  });
  for (const v of [1, 30]) {
    it(`Skellam with variance ${v} matches its pmf`, () => {
      const s = new SkellamSampler(v);
      const xs = draw(50_000, (r) => s.sample(r), `sk/${v}`);
      const r = Math.ceil(Math.sqrt(v) * 15 + 10);
      expect(chiSquareGoodnessOfFit(xs, skellamPmf(v), -r, r, ALPHA).reject).toBe(false);
      expect(Math.abs(moments(xs).variance - v)).toBeLessThan(8 * v * Math.sqrt(3 / 50_000) + 0.05);
    });
  }
});
