// Domain: the ordered attributes of a table and the number of integer codes of each.
// Every attribute list handled by the model is kept in the domain's canonical (column) order.
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/**
 * An ordered list of attributes with sizes. Attribute lists passed to the model are put in
 * canonical order (the order of the domain's columns) by `canonical`, so that a marginal over
 * {b, a} and one over {a, b} share one cell layout: row-major, first attribute slowest.
 */
export class Domain {
  readonly attrs: readonly string[];
  readonly shape: readonly number[];
  private readonly pos: ReadonlyMap<string, number>;

  constructor(attrs: readonly string[], shape: readonly number[]) {
    if (attrs.length !== shape.length) {
      throw new FedsynthError(ErrorCode.InvalidDomain, 'Domain: attrs and shape differ in length', {
        attrs: attrs.length,
        shape: shape.length,
      });
    }
    const pos = new Map<string, number>();
    attrs.forEach((a, i) => {
      if (pos.has(a)) throw new FedsynthError(ErrorCode.InvalidDomain, `Domain: duplicate attribute ${a}`, { attr: a });
      const s = shape[i];
      if (!Number.isInteger(s) || s < 1 || s > 2 ** 31 - 1) {
        throw new FedsynthError(ErrorCode.InvalidDomain, `Domain: size of ${a} must be a positive integer`, { attr: a, size: s });
      }
      pos.set(a, i);
    });
    this.attrs = Object.freeze([...attrs]);
    this.shape = Object.freeze([...shape]);
    this.pos = pos;
  }

  /** A domain from `{column: size}` in the object's key order (e.g. adult-domain.json). */
  static fromJson(obj: Readonly<Record<string, number>>): Domain {
    return new Domain(Object.keys(obj), Object.values(obj));
  }

  /** `{column: size}` in column order. */
  toJSON(): Record<string, number> {
    const out: Record<string, number> = {};
    this.attrs.forEach((a, i) => {
      out[a] = this.shape[i];
    });
    return out;
  }

  /** Position of `attr` among the columns, or -1 when absent. */
  indexOf(attr: string): number {
    return this.pos.get(attr) ?? -1;
  }

  has(attr: string): boolean {
    return this.pos.has(attr);
  }

  /** Number of codes of one attribute. */
  sizeOf(attr: string): number {
    return this.shape[this.position(attr)];
  }

  /** Number of cells of the marginal over `attrs` (all attributes when omitted). */
  size(attrs?: readonly string[]): number {
    let n = 1;
    if (attrs === undefined) {
      for (const s of this.shape) n *= s;
      return n;
    }
    for (const a of attrs) n *= this.shape[this.position(a)];
    return n;
  }

  /** Sizes of `attrs`, in the given order. */
  shapeOf(attrs: readonly string[]): number[] {
    return attrs.map((a) => this.shape[this.position(a)]);
  }

  /** `attrs` in canonical order; throws on unknown or repeated attributes. */
  canonical(attrs: Iterable<string>): string[] {
    const idx: number[] = [];
    const seen = new Set<string>();
    for (const a of attrs) {
      if (seen.has(a)) throw new FedsynthError(ErrorCode.InvalidArgument, `Domain: attribute ${a} repeated`, { attr: a });
      seen.add(a);
      idx.push(this.position(a));
    }
    idx.sort((x, y) => x - y);
    return idx.map((i) => this.attrs[i]);
  }

  /** True when `attrs` is already in canonical order without repeats. */
  isCanonical(attrs: readonly string[]): boolean {
    let prev = -1;
    for (const a of attrs) {
      const p = this.indexOf(a);
      if (p <= prev) return false;
      prev = p;
    }
    return true;
  }

  /** Canonical union of two attribute lists. */
  union(a: readonly string[], b: readonly string[]): string[] {
    return this.canonical(new Set([...a, ...b]));
  }

  /** The sub-domain over `attrs` (canonical order). */
  project(attrs: readonly string[]): Domain {
    const c = this.canonical(attrs);
    return new Domain(c, this.shapeOf(c));
  }

  /** The attributes not in `attrs`, in canonical order. */
  invert(attrs: readonly string[]): string[] {
    const s = new Set(attrs);
    return this.attrs.filter((a) => !s.has(a));
  }

  equals(other: Domain): boolean {
    return (
      this.attrs.length === other.attrs.length &&
      this.attrs.every((a, i) => other.attrs[i] === a && other.shape[i] === this.shape[i])
    );
  }

  private position(attr: string): number {
    const p = this.pos.get(attr);
    if (p === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, `Domain: unknown attribute ${attr}`, { attr });
    return p;
  }
}
