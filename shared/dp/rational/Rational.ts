// Rational: exact non-negative rationals as BigInt pairs, and exact conversion from numbers/strings.
// Noise parameters (variances, scales) enter the samplers only through this type.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';

/** An exact rational num/den with den > 0, kept in lowest terms. */
export interface Rational {
  readonly num: bigint;
  readonly den: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** num/den in lowest terms (den must be non-zero; the sign is carried by num). */
export function rational(num: bigint, den: bigint): Rational {
  if (den === 0n) throw new FedsynthError(ErrorCode.InvalidArgument, 'rational: zero denominator');
  if (den < 0n) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den);
  return g > 1n ? { num: num / g, den: den / g } : { num, den };
}

/**
 * The exact rational value of a finite double. Every finite double is a dyadic rational
 * m * 2^e, so e.g. 0.1 becomes 3602879701896397 / 2^55 (not 1/10): the samplers then draw from the
 * distribution for exactly the value the double denotes. Use `parseRational("1/10")` for 1/10.
 */
export function rationalFromNumber(x: number): Rational {
  if (!Number.isFinite(x)) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `not a finite number: ${x}`);
  if (x === 0) return { num: 0n, den: 1n };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) {
    exp = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  return exp >= 0 ? rational(sign * (mant << BigInt(exp)), 1n) : rational(sign * mant, 1n << BigInt(-exp));
}

/** Parses "3", "0.25", "1e-3" (exact decimal) or "1/3" into an exact rational. */
export function parseRational(s: string): Rational {
  const t = s.trim();
  const frac = /^([+-]?\d+)\s*\/\s*(\d+)$/.exec(t);
  if (frac) return rational(BigInt(frac[1]), BigInt(frac[2]));
  const dec = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(t);
  if (!dec || (dec[2] === '' && (dec[3] ?? '') === '')) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `not a rational number: "${s}"`);
  }
  const digits = (dec[2] || '0') + (dec[3] ?? '');
  const exp10 = Number(dec[4] ?? '0') - (dec[3] ?? '').length;
  if (Math.abs(exp10) > 400) throw new FedsynthError(ErrorCode.InvalidArgument, `exponent out of range: "${s}"`);
  let num = BigInt(digits) * (dec[1] === '-' ? -1n : 1n);
  let den = 1n;
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den = 10n ** BigInt(-exp10);
  return rational(num, den);
}

/** A number or a rational, converted exactly (see `rationalFromNumber`). */
export function toRational(x: number | Rational): Rational {
  return typeof x === 'number' ? rationalFromNumber(x) : rational(x.num, x.den);
}

/** A strictly positive rational, or an InvalidPrivacyParameter error naming `what`. */
export function positiveRational(x: number | Rational, what: string): Rational {
  if (typeof x === 'number' && !(Number.isFinite(x) && x > 0)) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `${what} must be a finite number > 0, got ${x}`);
  }
  const r = toRational(x);
  if (r.num <= 0n) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `${what} must be > 0`);
  return r;
}

/** floor(sqrt(n)) for n >= 0, exact. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new FedsynthError(ErrorCode.InvalidArgument, 'isqrt of a negative number');
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton correction from the float estimate (exact in the end).
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) break;
    x = y;
  }
  while (x * x > n) x -= 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/** A rational as a (rounded) double, for reporting only. */
export function rationalToNumber(r: Rational): number {
  return Number(r.num) / Number(r.den);
}
