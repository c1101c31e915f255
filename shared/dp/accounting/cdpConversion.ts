// cdpConversion: rho-zCDP (and RDP at one order) <-> (epsilon, delta)-DP (Canonne, Kamath, Steinke 2020).
// epsilonFromRho optimises the bound over alpha; rhoFromEpsilon inverts it by safe bisection.
import { checkDelta, checkPrivacyNumber } from './checkPrivacyNumber.js';

/**
 * CKS 2020 ("The Discrete Gaussian for Differential Privacy"), Proposition 12 (= Balle, Barthe,
 * Gaboardi, Hsu, Sato 2020, Theorem 21): an (alpha, epsAlpha)-RDP mechanism is (epsilon, delta)-DP
 * with
 *   epsilon = epsAlpha + log(1 - 1/alpha) - (log(delta) + log(alpha)) / (alpha - 1),
 * written with x = alpha - 1 for accuracy near alpha = 1. (Tighter than Mironov 2017, Prop. 3,
 * epsAlpha + log(1/delta) / (alpha - 1), by log(alpha)/(alpha - 1) - log(1 - 1/alpha).)
 */
export function epsilonFromRdpAtOrder(epsAlpha: number, delta: number, alpha: number): number {
  const x = alpha - 1;
  const l = Math.log(1 / delta);
  return epsAlpha + (l + x * Math.log(x / alpha) - Math.log1p(x)) / x;
}

/**
 * CKS 2020 ("The Discrete Gaussian for Differential Privacy"), Corollary 13: a rho-zCDP mechanism
 * is (epsilon, delta)-DP for every alpha in (1, inf) with
 *   delta = exp((alpha-1)(alpha rho - epsilon)) / (alpha-1) * (1 - 1/alpha)^alpha,
 * equivalently (solving for epsilon)
 *   epsilon(alpha) = alpha rho + (log(1/delta) + (alpha-1) log(1 - 1/alpha) - log(alpha)) / (alpha-1).
 * Any alpha gives a valid epsilon, so numerical search error can only cost tightness, never
 * privacy. Written with x = alpha - 1 for accuracy near alpha = 1.
 */
export function epsilonAtAlpha(rho: number, delta: number, alpha: number): number {
  return epsilonFromRdpAtOrder(alpha * rho, delta, alpha);
}

/** The smallest epsilon (over alpha) such that rho-zCDP implies (epsilon, delta)-DP. */
export function epsilonFromRho(rho: number, delta: number): number {
  checkPrivacyNumber(rho, 'rho');
  checkDelta(delta);
  if (rho === 0) return 0;
  // Coarse log-spaced scan of x = alpha - 1 in [1e-8, 1e8], then golden-section refinement.
  let bestX = 1;
  let best = Infinity;
  for (let e = -8; e <= 8; e += 0.05) {
    const x = 10 ** e;
    const v = epsilonAtAlpha(rho, delta, 1 + x);
    if (v < best) {
      best = v;
      bestX = x;
    }
  }
  let a = Math.log(bestX) - 0.2;
  let b = Math.log(bestX) + 0.2;
  const g = (Math.sqrt(5) - 1) / 2;
  const f = (lx: number): number => epsilonAtAlpha(rho, delta, 1 + Math.exp(lx));
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < 80; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  best = Math.min(best, fc, fd);
  // Bun & Steinke 2016 (Prop. 1.3) bound, never tighter in theory; a guard against search failure.
  const simple = rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
  return Math.max(0, Math.min(best, simple));
}

/**
 * The largest rho (up to 1e-12 relative) such that rho-zCDP implies (epsilon, delta)-DP by
 * `epsilonFromRho`. Bisection on the monotone map rho -> epsilon; the returned value always
 * satisfies epsilonFromRho(rho, delta) <= epsilon (the safe side).
 */
export function rhoFromEpsilon(epsilon: number, delta: number): number {
  checkPrivacyNumber(epsilon, 'epsilon');
  checkDelta(delta);
  if (epsilon === 0) return 0;
  // Pure in (epsilon, delta) and asked again by every agent for every round (spec checks): memoised.
  const key = `${epsilon}|${delta}`;
  const hit = rhoCache.get(key);
  if (hit !== undefined) return hit;
  const rho = searchRho(epsilon, delta);
  if (rhoCache.size >= RHO_CACHE_SIZE) rhoCache.clear();
  rhoCache.set(key, rho);
  return rho;
}

const rhoCache = new Map<string, number>();
const RHO_CACHE_SIZE = 1024;

function searchRho(epsilon: number, delta: number): number {
  let lo = 0;
  let hi = epsilon;
  while (epsilonFromRho(hi, delta) <= epsilon) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (epsilonFromRho(mid, delta) <= epsilon) lo = mid;
    else hi = mid;
  }
  return lo;
}
