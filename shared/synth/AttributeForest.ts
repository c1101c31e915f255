// AttributeForest: union-find over attribute names — which columns a set of measured marginals
// already connects (Kruskal's cycle test for MST's tree and AIM's first batch).

/**
 * Disjoint sets of attributes: `join` merges the members of one marginal, `closesCycle` says
 * whether a marginal would join columns the earlier ones already connect (a path between two of
 * its members). Path compression only: d is at most a few hundred.
 */
export class AttributeForest {
  private readonly parent = new Map<string, string>();

  /** The representative of `a`'s component (a fresh attribute is its own). */
  find(a: string): string {
    let r = a;
    for (let p = this.parent.get(r); p !== undefined && p !== r; p = this.parent.get(r)) r = p;
    // Path compression.
    let x = a;
    while (x !== r) {
      const next = this.parent.get(x) as string;
      this.parent.set(x, r);
      x = next;
    }
    return r;
  }

  /** Whether two members of `attrs` are already connected. */
  closesCycle(attrs: readonly string[]): boolean {
    const roots = new Set<string>();
    for (const a of attrs) {
      const r = this.find(a);
      if (roots.has(r)) return true;
      roots.add(r);
    }
    return false;
  }

  /** Connects all members of `attrs`. */
  join(attrs: readonly string[]): void {
    if (attrs.length === 0) return;
    const r0 = this.find(attrs[0]);
    for (const a of attrs.slice(1)) {
      const r = this.find(a);
      if (r !== r0) this.parent.set(r, r0);
    }
  }
}
