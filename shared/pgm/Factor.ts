// Factor: a dense table over a canonical attribute list of a Domain, values in a Float64Array.
// Log-space algebra (add/sub over the union, logsumexp marginals) and linear sums, via index maps.
import type { Domain } from './Domain.js';
import { indexMap } from './IndexMap.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** logsumexp of `src` grouped by `map` into `out` (length nOut); per-cell max for stability. */
export function logsumexpInto(src: Float64Array, map: Int32Array, out: Float64Array, scratch: Float64Array): void {
  const n = src.length;
  const m = out.length;
  out.fill(-Infinity);
  for (let k = 0; k < n; k++) {
    const j = map[k];
    const v = src[k];
    if (v > out[j]) out[j] = v;
  }
  scratch.fill(0, 0, m);
  for (let k = 0; k < n; k++) {
    const j = map[k];
    scratch[j] += Math.exp(src[k] - out[j]);
  }
  for (let j = 0; j < m; j++) {
    const mx = out[j];
    if (mx !== -Infinity && mx !== Infinity) out[j] = mx + Math.log(scratch[j]);
  }
}

/** Linear sums of `src` grouped by `map` into `out` (zeroed first). */
export function sumInto(src: Float64Array, map: Int32Array, out: Float64Array): void {
  out.fill(0);
  const n = src.length;
  for (let k = 0; k < n; k++) out[map[k]] += src[k];
}

/**
 * The table `values` over `attrs` divided by its own sums over `given` (a subset of `attrs`):
 * P(attrs \ given | given) from a joint, 0 where the sum is 0 (0/0 = 0).
 */
export function conditionalValues(domain: Domain, attrs: readonly string[], given: readonly string[], values: Float64Array): Float64Array {
  const map = indexMap(domain, attrs, given);
  const sums = new Float64Array(domain.size(given));
  sumInto(values, map, sums);
  const out = new Float64Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const den = sums[map[k]];
    out[k] = den > 0 ? values[k] / den : 0;
  }
  return out;
}

/**
 * A dense table over `attrs` (canonical order of `domain`), row-major with the first attribute
 * slowest. Factors are values: operations return new factors and never mutate their inputs.
 */
export class Factor {
  readonly domain: Domain;
  readonly attrs: readonly string[];
  readonly values: Float64Array;

  constructor(domain: Domain, attrs: readonly string[], values?: Float64Array) {
    if (!domain.isCanonical(attrs)) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'Factor: attrs must be in domain order without repeats', { attrs: [...attrs] });
    }
    const n = domain.size(attrs);
    if (values !== undefined && values.length !== n) {
      throw new FedsynthError(ErrorCode.InvalidArgument, `Factor: expected ${n} values, got ${values.length}`, { attrs: [...attrs] });
    }
    this.domain = domain;
    this.attrs = attrs;
    this.values = values ?? new Float64Array(n);
  }

  /** A factor of zeros over `attrs` (any order; canonicalised). */
  static zeros(domain: Domain, attrs: readonly string[]): Factor {
    return new Factor(domain, domain.canonical(attrs));
  }

  /** A factor filled with `value`. */
  static constant(domain: Domain, attrs: readonly string[], value: number): Factor {
    const f = Factor.zeros(domain, attrs);
    f.values.fill(value);
    return f;
  }

  get size(): number {
    return this.values.length;
  }

  /** True when every attribute of `attrs` is in this factor. */
  contains(attrs: readonly string[]): boolean {
    return attrs.every((a) => this.attrs.includes(a));
  }

  /** This factor broadcast to the superset `attrs` (values repeated along the new axes). */
  expand(attrs: readonly string[]): Factor {
    const target = this.domain.canonical(attrs);
    if (!this.attrs.every((a) => target.includes(a))) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'Factor.expand: target must contain the factor attributes', { attrs: target });
    }
    const map = indexMap(this.domain, target, this.attrs);
    const out = new Float64Array(map.length);
    const v = this.values;
    for (let k = 0; k < out.length; k++) out[k] = v[map[k]];
    return new Factor(this.domain, target, out);
  }

  /** Elementwise sum over the union of attributes. */
  add(other: Factor | number): Factor {
    return this.combine(other, 1);
  }

  /** Elementwise difference over the union of attributes. */
  sub(other: Factor | number): Factor {
    return this.combine(other, -1);
  }

  /** Elementwise product over the union of attributes. */
  mul(other: Factor | number): Factor {
    if (typeof other === 'number') return this.map((x) => x * other);
    const u = this.domain.union(this.attrs, other.attrs);
    const a = this.expandValues(u);
    const b = other.expandValues(u);
    for (let k = 0; k < a.length; k++) a[k] *= b[k];
    return new Factor(this.domain, u, a);
  }

  /** Multiply every value by `c`. */
  scale(c: number): Factor {
    return this.map((x) => x * c);
  }

  /** Linear marginal: sums over the attributes not in `attrs`. */
  project(attrs: readonly string[]): Factor {
    const target = this.checkSubset(attrs);
    const out = new Float64Array(this.domain.size(target));
    sumInto(this.values, indexMap(this.domain, this.attrs, target), out);
    return new Factor(this.domain, target, out);
  }

  /** Log-space marginal: logsumexp over the attributes not in `attrs` (all when omitted → scalar factor). */
  logsumexp(attrs: readonly string[] = []): Factor {
    const target = this.checkSubset(attrs);
    const m = this.domain.size(target);
    const out = new Float64Array(m);
    logsumexpInto(this.values, indexMap(this.domain, this.attrs, target), out, new Float64Array(m));
    return new Factor(this.domain, target, out);
  }

  /** Sum of all values. */
  sum(): number {
    let s = 0;
    const v = this.values;
    for (let k = 0; k < v.length; k++) s += v[k];
    return s;
  }

  /** logsumexp of all values. */
  logSumExpAll(): number {
    return this.logsumexp([]).values[0];
  }

  exp(): Factor {
    return this.map(Math.exp);
  }

  log(): Factor {
    return this.map(Math.log);
  }

  /**
   * Normalised copy with total `total`: in linear space values are rescaled to sum to `total`;
   * with `log` true the factor is a log table and `log(total) - logsumexp` is added.
   */
  normalize(total = 1, log = false): Factor {
    if (log) {
      const shift = Math.log(total) - this.logSumExpAll();
      return this.map((x) => x + shift);
    }
    const s = this.sum();
    return this.scale(total / s);
  }

  copy(): Factor {
    return new Factor(this.domain, this.attrs, this.values.slice());
  }

  /** Values laid out over the superset `u` (canonical). */
  private expandValues(u: readonly string[]): Float64Array {
    if (u.length === this.attrs.length) return this.values.slice();
    return this.expand(u).values;
  }

  private combine(other: Factor | number, sign: number): Factor {
    if (typeof other === 'number') return this.map((x) => x + sign * other);
    const u = this.domain.union(this.attrs, other.attrs);
    const a = this.expandValues(u);
    const map = indexMap(this.domain, u, other.attrs);
    const b = other.values;
    if (sign > 0) for (let k = 0; k < a.length; k++) a[k] += b[map[k]];
    else for (let k = 0; k < a.length; k++) a[k] -= b[map[k]];
    return new Factor(this.domain, u, a);
  }

  private map(fn: (x: number) => number): Factor {
    const v = this.values;
    const out = new Float64Array(v.length);
    for (let k = 0; k < v.length; k++) out[k] = fn(v[k]);
    return new Factor(this.domain, this.attrs, out);
  }

  private checkSubset(attrs: readonly string[]): string[] {
    const target = this.domain.canonical(attrs);
    for (const a of target) {
      if (!this.attrs.includes(a)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, `Factor: ${a} is not an attribute of the factor`, { attr: a, attrs: [...this.attrs] });
      }
    }
    return target;
  }
}
