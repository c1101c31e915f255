// ExpNegBernoulli: an exact Bernoulli(exp(-gamma)) trial for a fixed rational gamma >= 0, fast.
// Random bits are compared lazily with certified BigInt bounds of exp(-gamma) (see expNegBounds).
import type { RandomSource } from '../random/RandomSource.js';
import { uniformBits32 } from '../random/uniform.js';
import { expNegBounds, type ExpNegBounds } from './expNegBounds.js';

/**
 * Exact Bernoulli(exp(-num/den)). A uniform real R in [0,1) is revealed 32 bits at a time; the trial
 * succeeds iff R < exp(-gamma). After k bits, R lies in [U, U+1) / 2^k: if U + 1 <= lo (a certified
 * lower bound of exp(-gamma) 2^k) the answer is "yes", if U >= hi (certified upper bound) it is "no",
 * otherwise more bits are drawn and the bounds recomputed at doubled precision. The decision is
 * therefore exactly that of comparing an infinitely precise uniform R with exp(-gamma): no rounding
 * ever enters the outcome. The first stage needs one 32-bit word and plain integer compares; the
 * BigInt continuation runs with probability <= (hi - lo) / 2^32 (about 1e-9 per trial).
 *
 * This replaces the von Neumann-style Algorithm 1 of Canonne, Kamath, Steinke (2020), "The Discrete
 * Gaussian for Differential Privacy" (NeurIPS 2020), with the same output distribution.
 */
export class ExpNegBernoulli {
  private readonly lo32: number;
  private readonly hi32: number;
  private readonly levels: ExpNegBounds[] = [];

  constructor(
    readonly num: bigint,
    readonly den: bigint,
  ) {
    const b = expNegBounds(num, den, 32);
    this.lo32 = Number(b.lo);
    this.hi32 = Number(b.hi);
  }

  /** One trial: true with probability exactly exp(-num/den). */
  sample(rng: RandomSource): boolean {
    const u = rng.nextUint32();
    if (u < this.lo32) return true;
    if (u >= this.hi32) return false;
    return this.refine(BigInt(u), rng);
  }

  /**
   * The rest of a trial whose first word `u` fell between the 32-bit bounds (ExpNegTable keeps the
   * bounds itself): the same continuation, so the outcome is that of sample() with first word u.
   */
  continueFrom(u: number, rng: RandomSource): boolean {
    return this.refine(BigInt(u), rng);
  }

  private refine(prefix: bigint, rng: RandomSource): boolean {
    let bits = 32;
    let u = prefix;
    for (let level = 0; ; level++) {
      const next = bits * 2;
      if (this.levels.length <= level) this.levels.push(expNegBounds(this.num, this.den, next));
      const { lo, hi } = this.levels[level];
      u = (u << BigInt(next - bits)) | uniformBits32(rng, next - bits);
      bits = next;
      if (u < lo) return true;
      if (u >= hi) return false;
    }
  }
}
