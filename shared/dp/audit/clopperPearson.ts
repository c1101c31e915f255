// clopperPearson: exact one-sided binomial confidence bounds (Clopper & Pearson 1934, Biometrika 26(4)),
// from the regularized incomplete beta function I_x(a, b) (continued fraction, modified Lentz method).
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';

/** ln Gamma(x) for x > 0: recurrence up to x >= 12, then Stirling's series (error < 1e-15 there). */
export function logGamma(x: number): number {
  let shift = 0;
  let y = x;
  while (y < 12) {
    shift += Math.log(y);
    y += 1;
  }
  const inv = 1 / y;
  const inv2 = inv * inv;
  const series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 * (1 / 1680 - inv2 / 1188))));
  return (y - 0.5) * Math.log(y) - y + 0.5 * Math.log(2 * Math.PI) + series - shift;
}

/** Continued fraction of I_x(a, b) (DLMF 8.17.22), evaluated by the modified Lentz algorithm. */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  d = 1 / (Math.abs(d) < tiny ? tiny : d);
  let f = d;
  for (let m = 1; m <= 100000; m++) {
    for (const even of [true, false]) {
      const num = even
        ? (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m))
        : -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
      d = 1 + num * d;
      d = 1 / (Math.abs(d) < tiny ? tiny : d);
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      const step = c * d;
      f *= step;
      if (!even && Math.abs(step - 1) < 1e-15) return f;
    }
  }
  return f;
}

/** The regularized incomplete beta function I_x(a, b) = P(Beta(a, b) <= x), a, b > 0. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new FedsynthError(ErrorCode.InvalidArgument, `regularizedBeta: a, b must be > 0, got ${a}, ${b}`);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = a * Math.log(x) + b * Math.log1p(-x) + logGamma(a + b) - logGamma(a) - logGamma(b);
  // The fraction converges fast for x < (a + 1) / (a + b + 2); otherwise use I_x(a,b) = 1 - I_{1-x}(b,a).
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** Smallest p in [0, 1] with f(p) >= target, f increasing (bisection to 1e-15 absolute). */
function invertIncreasing(f: (p: number) => number, target: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

function checkCounts(successes: number, trials: number, alpha: number): void {
  if (!Number.isInteger(trials) || trials < 1 || !Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `Clopper-Pearson: need integers 0 <= successes <= trials, trials >= 1; got ${successes} of ${trials}`);
  }
  if (!(alpha > 0 && alpha < 1)) throw new FedsynthError(ErrorCode.InvalidArgument, `Clopper-Pearson: alpha must be in (0, 1), got ${alpha}`);
}

/**
 * One-sided upper bound: the p with P(Bin(trials, p) <= successes) = alpha, so that the true rate is
 * at most the bound with probability >= 1 - alpha. P(X <= k) = 1 - I_p(k + 1, n - k).
 */
export function clopperPearsonUpper(successes: number, trials: number, alpha: number): number {
  checkCounts(successes, trials, alpha);
  if (successes === trials) return 1;
  return invertIncreasing((p) => regularizedBeta(p, successes + 1, trials - successes), 1 - alpha);
}

/** One-sided lower bound: the p with P(Bin(trials, p) >= successes) = alpha; = I_p(k, n - k + 1). */
export function clopperPearsonLower(successes: number, trials: number, alpha: number): number {
  checkCounts(successes, trials, alpha);
  if (successes === 0) return 0;
  // I_p(k, n-k+1) increases in p; the bound is where it reaches alpha.
  return invertIncreasing((p) => regularizedBeta(p, successes, trials - successes + 1), alpha);
}
