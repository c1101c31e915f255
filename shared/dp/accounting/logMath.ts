// logMath: log-space helpers for privacy accounting (log-sum-exp, signed log sums, log erfc).
// Pure double-precision numerics; every caller documents its own tolerance.

/** log(exp(a) + exp(b)), exact for -Infinity operands. */
export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/**
 * log(exp(a) - exp(b)) for a >= b; -Infinity when they are equal. Callers use it only where the
 * difference is known to be positive (a series whose partial sums stay positive).
 */
export function logSubExp(a: number, b: number): number {
  if (b === -Infinity) return a;
  if (b > a) return NaN;
  if (b === a) return -Infinity;
  return a + Math.log(-Math.expm1(b - a));
}

/**
 * log(erfc(x)) with about 1e-13 relative accuracy on erfc: for |x| < 2 the Maclaurin series of erf
 * (erfc = 1 - erf; erfc >= 0.0046 there, so little cancellation); for x >= 2 the continued fraction
 * erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) (Abramowitz & Stegun
 * 7.1.14), evaluated bottom-up, so no underflow for large x; for x <= -2, erfc(x) = 2 - erfc(-x).
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x === -Infinity) return Math.LN2;
  if (Math.abs(x) < 2) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.log1p((-2 / Math.sqrt(Math.PI)) * sum);
  }
  if (x < 0) return Math.log(2 - Math.exp(logErfc(-x)));
  // Continued fraction, 60 levels (ample for x >= 2: converges geometrically).
  let f = x;
  for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
  return -x * x - 0.5 * Math.log(Math.PI) - Math.log(f);
}
