// ExpNegTable: exact Bernoulli(exp(-gamma_i)) trials for an indexed family of rationals gamma_i,
// with each member's certified 32-bit thresholds computed once (BigInt) and kept in typed arrays.
import type { RandomSource } from '../random/RandomSource.js';
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import { ExpNegBernoulli } from './ExpNegBernoulli.js';
import { expNegBounds } from './expNegBounds.js';

const TWO_32 = 2 ** 32;

/** gamma_i = num / den with num >= 0, den > 0 (exact integers). */
export type ExpNegExponent = (index: number) => { readonly num: bigint; readonly den: bigint };

/**
 * The same trial as ExpNegBernoulli (one 32-bit word u; u < lo_i: yes, u >= hi_i: no, otherwise the
 * BigInt continuation), for gamma_0 .. gamma_{size-1}. Entry i's bounds lo_i <= exp(-gamma_i) 2^32
 * <= hi_i come from expNegBounds the first time i is asked for and are stored as integers in
 * [0, 2^32] (asserted), so a warm trial is one word, two array reads and integer compares: no BigInt,
 * no allocation. The outcome, and the random words consumed, are those of ExpNegBernoulli(gamma_i),
 * draw for draw. The tables hold only functions of the public exponents.
 */
export class ExpNegTable {
  private readonly lo: Float64Array;
  /** hi_i >= 1 for every computed entry (exp(-gamma) > 0), so 0 marks "not computed yet". */
  private readonly hi: Float64Array;
  private readonly slow = new Map<number, ExpNegBernoulli>();

  constructor(
    readonly size: number,
    private readonly exponent: ExpNegExponent,
  ) {
    if (!Number.isInteger(size) || size < 0 || size > 2 ** 24) throw new FedsynthError(ErrorCode.InvalidArgument, `ExpNegTable size must be an integer in [0, 2^24], got ${size}`);
    this.lo = new Float64Array(size);
    this.hi = new Float64Array(size);
  }

  private fill(i: number): void {
    const g = this.exponent(i);
    const b = expNegBounds(g.num, g.den, 32);
    const lo = Number(b.lo);
    const hi = Number(b.hi);
    if (!(lo >= 0 && lo <= hi && hi >= 1 && hi <= TWO_32)) throw new FedsynthError(ErrorCode.Internal, 'ExpNegTable: bounds outside [0, 2^32]', { index: i, lo, hi });
    this.lo[i] = lo;
    this.hi[i] = hi;
  }

  /** One exact trial: true with probability exactly exp(-gamma_index), 0 <= index < size. */
  sample(index: number, rng: RandomSource): boolean {
    if (!(this.hi[index] > 0)) {
      if (!(index >= 0 && index < this.size && Number.isInteger(index))) throw new FedsynthError(ErrorCode.InvalidArgument, `ExpNegTable index ${index} outside [0, ${this.size})`);
      this.fill(index);
    }
    const u = rng.nextUint32();
    if (u < this.lo[index]) return true;
    if (u >= this.hi[index]) return false;
    // Probability <= (hi - lo) / 2^32 (a few in 2^32): the exact BigInt continuation.
    let b = this.slow.get(index);
    if (b === undefined) {
      const g = this.exponent(index);
      b = new ExpNegBernoulli(g.num, g.den);
      this.slow.set(index, b);
    }
    return b.continueFrom(u, rng);
  }
}
