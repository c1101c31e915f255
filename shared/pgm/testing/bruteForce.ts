// Brute-force reference for tests: the full joint table of a small log-linear model, and its
// marginals, by enumerating every cell of the domain.
import type { Domain } from '../Domain.js';
import type { Factor } from '../Factor.js';
import { indexMap } from '../IndexMap.js';

/** Joint p(x) ∝ exp(sum_f f(x_f)) over all domain attributes, scaled to `total`. */
export function bruteJoint(domain: Domain, logFactors: readonly Factor[], total: number): Float64Array {
  const n = domain.size();
  const logp = new Float64Array(n);
  for (const f of logFactors) {
    const map = indexMap(domain, domain.attrs, f.attrs);
    for (let k = 0; k < n; k++) logp[k] += f.values[map[k]];
  }
  let mx = -Infinity;
  for (const v of logp) mx = Math.max(mx, v);
  let s = 0;
  const p = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    p[k] = Math.exp(logp[k] - mx);
    s += p[k];
  }
  for (let k = 0; k < n; k++) p[k] *= total / s;
  return p;
}

/** Marginal of a full joint table over canonical `attrs`. */
export function bruteMarginal(domain: Domain, joint: Float64Array, attrs: readonly string[]): Float64Array {
  const out = new Float64Array(domain.size(attrs));
  const map = indexMap(domain, domain.attrs, attrs);
  for (let k = 0; k < joint.length; k++) out[map[k]] += joint[k];
  return out;
}

/** Deterministic pseudo-random values in [lo, hi) for test tables (LCG; not for product code). */
export function testValues(n: number, seed: number, lo = -2, hi = 2): Float64Array {
  const out = new Float64Array(n);
  let s = seed >>> 0 || 1;
  for (let k = 0; k < n; k++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[k] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}

/** Largest |a - b| / max(|b|, floor). */
export function maxRelErr(a: Float64Array, b: Float64Array, floor = 1e-12): number {
  let e = 0;
  for (let k = 0; k < a.length; k++) e = Math.max(e, Math.abs(a[k] - b[k]) / Math.max(Math.abs(b[k]), floor));
  return e;
}
