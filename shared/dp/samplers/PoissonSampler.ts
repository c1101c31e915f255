// PoissonSampler: exact Poisson(mu) integers for a rational mean mu, using only exact rational tests.
// Rejection from a Geometric(1/2) proposal for each unit of mean; cost grows linearly with mu.
import type { RandomSource } from '../random/RandomSource.js';
import { uniformBigInt, uniformInt } from '../random/uniform.js';
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { toRational, type Rational } from '../rational/Rational.js';

const MAX_MEAN = 1e7;

/**
 * Poisson(mu) = sum of floor(mu) Poisson(1) draws plus one Poisson(f) draw, f = mu - floor(mu)
 * (Poisson laws are closed under sums). For a mean m in [0, 1], propose n ~ Geometric(1/2)
 * (q(n) = 2^-(n+1)) and accept with probability (2m)^n / n! / M, where M = max_n (2m)^n / n! is 1
 * if 2m <= 1 and 2m otherwise. Accepted values have P(n) proportional to 2^-(n+1) (2m)^n / n!,
 * i.e. to m^n / n!: exactly Poisson(m) (standard rejection sampling, e.g. Devroye 1986, II.3).
 * The acceptance test compares a uniform BigInt with an exact rational: no floating point.
 * Expected acceptance rate is e^(2m) / (2M) >= e/4 per proposal.
 */
export class PoissonSampler {
  readonly mean: Rational;
  private readonly whole: number;
  private readonly fracNum: bigint;
  private readonly den: bigint;

  constructor(mean: number | Rational) {
    const m = toRational(mean);
    if (m.num < 0n) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'Poisson mean must be >= 0');
    if (m.num > BigInt(MAX_MEAN) * m.den) {
      throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `Poisson mean must be <= ${MAX_MEAN} (cost is linear in the mean)`);
    }
    this.mean = m;
    this.whole = Number(m.num / m.den);
    this.fracNum = m.num - BigInt(this.whole) * m.den;
    this.den = m.den;
  }

  /** Geometric(1/2): the number of 0 bits before the first 1 in a stream of fair bits. */
  private geometricHalf(rng: RandomSource): number {
    let n = 0;
    for (;;) {
      const w = rng.nextUint32();
      if (w === 0) {
        n += 32;
        continue;
      }
      return n + (31 - Math.clz32(w & -w));
    }
  }

  private readonly tables = new Map<string, { pn: bigint; pd: bigint; pnN: number; pdN: number }[]>();

  /** Acceptance probability pn/pd of proposal n for mean num/den (cached; numbers when exact). */
  private acceptance(num: bigint, den: bigint, n: number): { pn: bigint; pd: bigint; pnN: number; pdN: number } {
    const key = `${num}/${den}`;
    let table = this.tables.get(key);
    if (table === undefined) {
      table = [];
      this.tables.set(key, table);
    }
    const hit = table[n];
    if (hit !== undefined) return hit;
    const twoNum = 2n * num; // 2m = twoNum / den
    let fact = 1n;
    for (let i = 2n; i <= BigInt(n); i++) fact *= i;
    let pn: bigint;
    let pd: bigint;
    if (twoNum <= den) {
      pn = twoNum ** BigInt(n); // M = 1
      pd = den ** BigInt(n) * fact;
    } else if (n === 0) {
      pn = den; // M = 2m
      pd = twoNum;
    } else {
      pn = twoNum ** BigInt(n - 1);
      pd = den ** BigInt(n - 1) * fact;
    }
    const safe = pd <= BigInt(Number.MAX_SAFE_INTEGER);
    const entry = { pn, pd, pnN: safe ? Number(pn) : -1, pdN: safe ? Number(pd) : -1 };
    if (n < 64) table[n] = entry;
    return entry;
  }

  /** Exact Poisson(num/den) for num/den in [0, 1]. */
  private small(num: bigint, den: bigint, rng: RandomSource): number {
    if (num === 0n) return 0;
    for (;;) {
      const n = this.geometricHalf(rng);
      const a = this.acceptance(num, den, n);
      if (a.pdN > 0 ? uniformInt(rng, a.pdN) < a.pnN : uniformBigInt(rng, a.pd) < a.pn) return n;
    }
  }

  /** One exact draw. */
  sample(rng: RandomSource): number {
    let total = 0;
    for (let i = 0; i < this.whole; i++) total += this.small(1n, 1n, rng);
    return total + this.small(this.fracNum, this.den, rng);
  }
}

/** One exact Poisson(mean) draw. */
export function samplePoisson(mean: number | Rational, rng: RandomSource): number {
  return new PoissonSampler(mean).sample(rng);
}
