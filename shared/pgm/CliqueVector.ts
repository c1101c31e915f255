// CliqueVector: one Factor per clique (potentials or marginals of a graphical model).
// Cliques are canonical attribute lists; lookup is by exact clique or by a containing clique.
import type { Factor } from './Factor.js';

/** Stable string key of a canonical attribute list. */
export function cliqueKey(attrs: readonly string[]): string {
  return attrs.join('\u0001');
}

/** An ordered collection of factors, one per clique (Private-PGM's `CliqueVector`). */
export class CliqueVector {
  readonly factors: readonly Factor[];
  private readonly byKey: ReadonlyMap<string, Factor>;

  constructor(factors: readonly Factor[]) {
    this.factors = factors;
    const m = new Map<string, Factor>();
    for (const f of factors) m.set(cliqueKey(f.attrs), f);
    this.byKey = m;
  }

  get cliques(): (readonly string[])[] {
    return this.factors.map((f) => f.attrs);
  }

  /** The factor of exactly this (canonical) clique. */
  get(clique: readonly string[]): Factor | undefined {
    return this.byKey.get(cliqueKey(clique));
  }

  /** The smallest factor whose clique contains every attribute of `attrs`. */
  containing(attrs: readonly string[]): Factor | undefined {
    let best: Factor | undefined;
    for (const f of this.factors) {
      if (f.contains(attrs) && (best === undefined || f.size < best.size)) best = f;
    }
    return best;
  }

  /** Total number of cells. */
  size(): number {
    let n = 0;
    for (const f of this.factors) n += f.size;
    return n;
  }

  /** Sum over cliques of the inner products of matching factors (same cliques, same order). */
  dot(other: CliqueVector): number {
    let s = 0;
    this.factors.forEach((f, i) => {
      const a = f.values;
      const b = other.factors[i].values;
      for (let k = 0; k < a.length; k++) s += a[k] * b[k];
    });
    return s;
  }
}
