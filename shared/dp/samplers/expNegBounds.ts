// expNegBounds: certified fixed-point bounds on exp(-a/b) for a rational a/b >= 0, in BigInt only.
// These are the exact thresholds the lazy Bernoulli(exp(-gamma)) sampler compares random bits with.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';

/** Integers lo <= exp(-a/b) * 2^precision <= hi (hi - lo is at most a few units). */
export interface ExpNegBounds {
  readonly lo: bigint;
  readonly hi: bigint;
}

/**
 * Bounds of exp(-x) * 2^q for x = num/den in [0, 1]. The series sum_j (-x)^j / j! alternates with
 * non-increasing terms, so the true value lies within one term of each partial sum; every term is
 * carried as a [floor, ceil] pair, so the returned interval provably contains the true value.
 */
function expNegUnitInterval(num: bigint, den: bigint, q: bigint): [bigint, bigint] {
  const one = 1n << q;
  let tLo = one;
  let tHi = one;
  let sumLo = one;
  let sumHi = one;
  if (num === 0n) return [one, one];
  for (let j = 1n; ; j++) {
    const d = den * j;
    tLo = (tLo * num) / d;
    tHi = (tHi * num + d - 1n) / d;
    if (j % 2n === 1n) {
      sumLo -= tHi;
      sumHi -= tLo;
    } else {
      sumLo += tLo;
      sumHi += tHi;
    }
    if (tHi <= 1n) break; // next true term <= this true term <= tHi <= 1 unit
  }
  return [sumLo - 1n < 0n ? 0n : sumLo - 1n, sumHi + 1n > one ? one : sumHi + 1n];
}

function mulFloor(a: bigint, b: bigint, q: bigint): bigint {
  return (a * b) >> q;
}
function mulCeil(a: bigint, b: bigint, q: bigint): bigint {
  return (a * b + (1n << q) - 1n) >> q;
}

const powerCache = new Map<string, readonly [bigint, bigint]>();
const POWER_CACHE_SIZE = 4096;

/**
 * [floor, ceil]-carried bounds of exp(-k) 2^q by repeated squaring of the bounds of exp(-1); they
 * depend only on (k, q), so they are memoised (a sampler asks for the same few k at one precision).
 */
function expNegIntegerPower(k: bigint, q: bigint): readonly [bigint, bigint] {
  const key = `${k}/${q}`;
  const hit = powerCache.get(key);
  if (hit !== undefined) return hit;
  const [eLo, eHi] = expNegUnitInterval(1n, 1n, q);
  let bLo = eLo;
  let bHi = eHi;
  let e = k;
  let pLo = 1n << q;
  let pHi = 1n << q;
  while (e > 0n) {
    if (e & 1n) {
      pLo = mulFloor(pLo, bLo, q);
      pHi = mulCeil(pHi, bHi, q);
    }
    e >>= 1n;
    if (e > 0n) {
      bLo = mulFloor(bLo, bLo, q);
      bHi = mulCeil(bHi, bHi, q);
    }
  }
  if (powerCache.size >= POWER_CACHE_SIZE) powerCache.clear();
  const out = [pLo, pHi] as const;
  powerCache.set(key, out);
  return out;
}

/** Certified bounds on exp(-num/den) * 2^precision, computed with exact integer arithmetic. */
export function expNegBounds(num: bigint, den: bigint, precision: number): ExpNegBounds {
  if (num < 0n || den <= 0n || !Number.isInteger(precision) || precision < 1) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'expNegBounds: need num >= 0, den > 0, precision >= 1');
  }
  const p = BigInt(precision);
  if (num === 0n) return { lo: 1n << p, hi: 1n << p };
  const k = num / den; // integer part
  const fnum = num - k * den; // fractional part fnum/den in [0, 1)
  // exp(-k) <= e^-(P+3) < 2^-P: the value is in [0, 1) units.
  if (k > p + 2n) return { lo: 0n, hi: 1n };
  const guard = 32n + BigInt(k.toString(2).length) * 2n;
  const q = p + guard;
  const [fLo, fHi] = expNegUnitInterval(fnum, den, q);
  let lo = fLo;
  let hi = fHi;
  if (k > 0n) {
    const [pLo, pHi] = expNegIntegerPower(k, q);
    lo = mulFloor(lo, pLo, q);
    hi = mulCeil(hi, pHi, q);
  }
  const shift = guard;
  return { lo: lo >> shift, hi: (hi + (1n << shift) - 1n) >> shift };
}
