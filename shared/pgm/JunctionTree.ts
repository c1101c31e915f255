// JunctionTree: triangulation of the graph of a clique set, its maximal cliques joined by a
// maximum-weight spanning tree over separators, rooted for message passing; and model sizes.
import type { Domain } from './Domain.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/**
 * Greedy elimination order on the undirected graph whose edges join attributes sharing a clique:
 * repeatedly eliminate the attribute whose elimination clique (itself plus its remaining
 * neighbours) has the fewest cells ("min-weight", the criterion Private-PGM's `greedy_order`
 * uses), ties broken by fewest fill-in edges, then by column order. Every domain attribute is a
 * vertex, so attributes in no clique become singleton cliques.
 */
export function greedyEliminationOrder(domain: Domain, cliques: readonly (readonly string[])[]): { order: string[]; eliminationCliques: string[][] } {
  const n = domain.attrs.length;
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  for (const cl of cliques) {
    const idx = cl.map((a) => {
      const p = domain.indexOf(a);
      if (p < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `JunctionTree: unknown attribute ${a}`, { attr: a });
      return p;
    });
    for (const i of idx) for (const j of idx) if (i !== j) adj[i].add(j);
  }
  // Each vertex's elimination cost (cells) and fill-in count, kept up to date: eliminating v
  // changes them only for v's neighbours and for the common neighbours of a new fill edge, so a
  // step costs O(n) comparisons plus those updates instead of O(n·deg²) (100 columns: ~100x).
  const cost = new Float64Array(n);
  const fill = new Float64Array(n);
  const update = (v: number): void => {
    let c = domain.shape[v];
    for (const u of adj[v]) c *= domain.shape[u];
    cost[v] = c;
    let f = 0;
    const nb = [...adj[v]];
    for (let i = 0; i < nb.length; i++) for (let j = i + 1; j < nb.length; j++) if (!adj[nb[i]].has(nb[j])) f++;
    fill[v] = f;
  };
  for (let v = 0; v < n; v++) update(v);
  const alive = new Array<boolean>(n).fill(true);
  const order: string[] = [];
  const eliminationCliques: string[][] = [];
  for (let step = 0; step < n; step++) {
    // Lexicographic minimum of (cost, fill, column index), as the criterion above.
    let best = -1;
    for (let v = 0; v < n; v++) {
      if (!alive[v]) continue;
      if (best < 0 || cost[v] < cost[best] || (cost[v] === cost[best] && fill[v] < fill[best])) best = v;
    }
    const nb = [...adj[best]];
    const dirty = new Set<number>(nb);
    for (let i = 0; i < nb.length; i++) {
      for (let j = i + 1; j < nb.length; j++) {
        const x = nb[i];
        const y = nb[j];
        if (adj[x].has(y)) continue;
        adj[x].add(y);
        adj[y].add(x);
        for (const u of adj[x]) if (u !== best && adj[u].has(y)) dirty.add(u);
      }
    }
    for (const i of nb) adj[i].delete(best);
    alive[best] = false;
    for (const u of dirty) if (alive[u]) update(u);
    order.push(domain.attrs[best]);
    eliminationCliques.push(domain.canonical([domain.attrs[best], ...nb.map((u) => domain.attrs[u])]));
  }
  return { order, eliminationCliques };
}

/** The cliques of `cliques` that are not contained in another one (canonical, deduplicated). */
export function maximalCliques(domain: Domain, cliques: readonly (readonly string[])[]): string[][] {
  const canon = cliques.map((c) => domain.canonical(c));
  canon.sort((a, b) => b.length - a.length);
  const out: string[][] = [];
  for (const c of canon) {
    if (!out.some((m) => c.every((a) => m.includes(a)))) out.push(c);
  }
  return out;
}

/** A junction tree (clique tree with the running-intersection property) rooted at clique `root`. */
export class JunctionTree {
  readonly domain: Domain;
  /** Maximal cliques of the triangulated graph, canonical attribute lists. */
  readonly cliques: readonly (readonly string[])[];
  readonly eliminationOrder: readonly string[];
  /** Undirected tree edges between clique indices. */
  readonly edges: readonly (readonly [number, number])[];
  readonly root: number;
  /** Parent clique of each clique (-1 for the root). */
  readonly parent: readonly number[];
  readonly children: readonly (readonly number[])[];
  /** Separator between each clique and its parent (empty for the root), canonical. */
  readonly separator: readonly (readonly string[])[];
  /** Clique indices, parents before children (reverse it for the collect pass). */
  readonly order: readonly number[];

  private constructor(domain: Domain, cliques: string[][], eliminationOrder: string[], edges: [number, number][]) {
    this.domain = domain;
    this.cliques = cliques;
    this.eliminationOrder = eliminationOrder;
    this.edges = edges;
    const m = cliques.length;
    let root = 0;
    for (let i = 1; i < m; i++) if (domain.size(cliques[i]) > domain.size(cliques[root])) root = i;
    this.root = root;
    const nbrs: number[][] = Array.from({ length: m }, () => []);
    for (const [a, b] of edges) {
      nbrs[a].push(b);
      nbrs[b].push(a);
    }
    const parent = new Array<number>(m).fill(-1);
    const children: number[][] = Array.from({ length: m }, () => []);
    const order: number[] = [root];
    const seen = new Array<boolean>(m).fill(false);
    seen[root] = true;
    for (let h = 0; h < order.length; h++) {
      const c = order[h];
      for (const d of nbrs[c]) {
        if (seen[d]) continue;
        seen[d] = true;
        parent[d] = c;
        children[c].push(d);
        order.push(d);
      }
    }
    this.parent = parent;
    this.children = children;
    this.order = order;
    this.separator = cliques.map((c, i) => (parent[i] < 0 ? [] : c.filter((a) => cliques[parent[i]].includes(a))));
  }

  /**
   * Build the junction tree of `cliques` over `domain`: the graph joining attributes that share
   * a clique is triangulated by greedy elimination, its maximal cliques are joined by a
   * maximum-weight spanning tree (weight = number of shared attributes, Kruskal), which
   * satisfies the running-intersection property. Every domain attribute ends up in a clique.
   */
  static build(domain: Domain, cliques: readonly (readonly string[])[]): JunctionTree {
    const { order, eliminationCliques } = greedyEliminationOrder(domain, cliques);
    const maximal = maximalCliques(domain, eliminationCliques);
    // Deterministic clique order: by the column position of their attributes.
    maximal.sort((a, b) => compareCliques(domain, a, b));
    const m = maximal.length;
    const cand: [number, number, number][] = [];
    for (let i = 0; i < m; i++) {
      for (let j = i + 1; j < m; j++) {
        const w = maximal[i].filter((a) => maximal[j].includes(a)).length;
        cand.push([w, i, j]);
      }
    }
    cand.sort((x, y) => y[0] - x[0] || x[1] - y[1] || x[2] - y[2]);
    const uf = Array.from({ length: m }, (_, i) => i);
    const find = (x: number): number => {
      while (uf[x] !== x) {
        uf[x] = uf[uf[x]];
        x = uf[x];
      }
      return x;
    };
    const edges: [number, number][] = [];
    for (const [, i, j] of cand) {
      const a = find(i);
      const b = find(j);
      if (a === b) continue;
      uf[a] = b;
      edges.push([i, j]);
      if (edges.length === m - 1) break;
    }
    return new JunctionTree(domain, maximal, order, edges);
  }

  /**
   * The tree with exactly these cliques (canonical, in this order) and undirected edges, as
   * `cliques` / `edges` of another JunctionTree list them: root, parents, order and separators
   * are derived as `build` derives them, so a tree rebuilt from its own structure answers every
   * query bit for bit as the original (parties rebuild the coordinator's public model this way).
   * Refuses (InvalidData) anything that is not a spanning tree over canonical cliques of `domain`
   * covering every attribute with the running-intersection property.
   */
  static fromStructure(domain: Domain, cliques: readonly (readonly string[])[], edges: readonly (readonly [number, number])[]): JunctionTree {
    const bad = (msg: string): never => {
      throw new FedsynthError(ErrorCode.InvalidData, `junction tree: ${msg}`);
    };
    const m = cliques.length;
    if (m < 1) bad('no cliques');
    const covered = new Set<string>();
    for (const c of cliques) {
      if (c.length === 0 || !c.every((a) => domain.has(a)) || !domain.isCanonical(c)) bad(`clique [${c.join(', ')}] is not a canonical attribute list`);
      for (const a of c) covered.add(a);
    }
    if (covered.size !== domain.attrs.length) bad('cliques do not cover every attribute');
    if (edges.length !== m - 1) bad(`${edges.length} edges for ${m} cliques`);
    const uf = Array.from({ length: m }, (_, i) => i);
    const find = (x: number): number => {
      while (uf[x] !== x) x = uf[x] = uf[uf[x]];
      return x;
    };
    for (const [a, b] of edges) {
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < 0 || a >= m || b >= m || find(a) === find(b)) bad(`edge (${a}, ${b}) is out of range or closes a cycle`);
      uf[find(a)] = find(b);
    }
    const tree = new JunctionTree(domain, cliques.map((c) => [...c]), [], edges.map(([a, b]) => [a, b]));
    // Running intersection: the cliques holding each attribute form a connected subtree, i.e.
    // exactly one of them has no parent holding the attribute.
    for (const a of domain.attrs) {
      let tops = 0;
      tree.cliques.forEach((c, i) => {
        if (c.includes(a) && !(tree.parent[i] >= 0 && tree.cliques[tree.parent[i]].includes(a))) tops++;
      });
      if (tops !== 1) bad(`the cliques holding ${a} are not connected`);
    }
    return tree;
  }

  /** Number of cells of clique `i`. */
  cliqueSize(i: number): number {
    return this.domain.size(this.cliques[i]);
  }

  /** Model size: total number of cells over the cliques (8 bytes each as Float64). */
  size(): number {
    let n = 0;
    for (const c of this.cliques) n += this.domain.size(c);
    return n;
  }

  /**
   * The smallest connected set of cliques covering `attrs` (leaves that add nothing pruned), in
   * `order` (parents first). The set does not depend on the root.
   */
  coveringSubtree(attrs: readonly string[]): number[] {
    const m = this.cliques.length;
    const nbrs: Set<number>[] = Array.from({ length: m }, () => new Set<number>());
    for (const [a, b] of this.edges) {
      nbrs[a].add(b);
      nbrs[b].add(a);
    }
    const alive = new Array<boolean>(m).fill(true);
    let count = m;
    let changed = true;
    while (changed && count > 1) {
      changed = false;
      for (let c = 0; c < m && count > 1; c++) {
        if (!alive[c] || nbrs[c].size > 1) continue;
        const [nb] = [...nbrs[c]];
        const own = attrs.filter((a) => this.cliques[c].includes(a));
        if (nb !== undefined && !own.every((a) => this.cliques[nb].includes(a))) continue;
        if (nb === undefined && own.length > 0) continue;
        alive[c] = false;
        count--;
        if (nb !== undefined) nbrs[nb].delete(c);
        nbrs[c].clear();
        changed = true;
      }
    }
    return this.order.filter((c) => alive[c]);
  }

  /** Index of the smallest clique containing every attribute of `attrs`, or -1. */
  cliqueContaining(attrs: readonly string[]): number {
    let best = -1;
    for (let i = 0; i < this.cliques.length; i++) {
      const c = this.cliques[i];
      if (attrs.every((a) => c.includes(a)) && (best < 0 || this.cliqueSize(i) < this.cliqueSize(best))) best = i;
    }
    return best;
  }
}

function compareCliques(domain: Domain, a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = domain.indexOf(a[i]) - domain.indexOf(b[i]);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Number of cells (Float64 parameters) of the junction tree a model over `cliques` would have.
 * AIM (McKenna et al. 2022) uses it to enforce its model-size bound: a candidate whose addition
 * would exceed the bound is excluded from selection. Multiply by 8 for bytes.
 */
export function hypotheticalModelSize(domain: Domain, cliques: readonly (readonly string[])[]): number {
  // Only the maximal elimination cliques count: no spanning tree is needed for the size.
  const { eliminationCliques } = greedyEliminationOrder(domain, cliques);
  let n = 0;
  for (const c of maximalCliques(domain, eliminationCliques)) n += domain.size(c);
  return n;
}
