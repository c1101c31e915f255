// AnchoredProjection: marginals over r ∪ {y} of a calibrated junction-tree model for many sets r
// sharing one anchor column y, each from r's own covering subtree and one cached message about y.
import type { Domain } from './Domain.js';
import { Factor, conditionalValues, sumInto } from './Factor.js';
import type { JunctionTree } from './JunctionTree.js';
import { indexMap } from './IndexMap.js';
import { productMarginal, variableElimination } from './VariableElimination.js';

/**
 * Root the tree at a clique R holding y. For every clique c without y, with parent p (towards R)
 * and separator s_c = c ∩ p, keep P(y | s_c): top-down, P(s_c, y) = Σ_{p \ s_c} mu_p · P(y | s_p)
 * (y is independent of p's other columns given s_p, the junction tree's Markov property), or a
 * sum of mu_p when p holds y. Building costs Σ_c |c|·|y| once per model and anchor.
 *
 * A query r ∪ {y} not inside one clique: S = the smallest subtree covering r, t its clique
 * nearest R. When t lacks y, no clique below t holds y (running intersection: y would be on the
 * path to R, in t), so P(S, y) = mu_t · P(y | s_t) · Π_{c ∈ S \ t} mu_c / mu_{s_c}, and variable
 * elimination runs over S alone instead of S and the whole path from S to y's clique (AIM's
 * conditioned scores: every party projects thousands of r ∪ {y}, Aim's `conditionFor`).
 * When t holds y, `marginal` returns undefined (the caller's covering subtree of r ∪ {y} is then S).
 */
export class AnchoredProjection {
  private readonly domain: Domain;
  private readonly tree: JunctionTree;
  private readonly mus: readonly Factor[];
  private readonly anchor: string;
  /** Parent of each clique in the tree rooted at a clique holding the anchor (-1: that root). */
  private readonly parent: Int32Array;
  /** Depth from that root. */
  private readonly depth: Int32Array;
  /** Separator with the parent, canonical. */
  private readonly separator: (readonly string[])[];
  /** P(y | separator) over canonical(separator ∪ {y}), for cliques without y. */
  private readonly given: (Factor | undefined)[];
  private readonly conditionals = new Map<number, Factor>();

  constructor(tree: JunctionTree, mus: readonly Factor[], anchor: string) {
    const d = tree.domain;
    this.domain = d;
    this.tree = tree;
    this.mus = mus;
    this.anchor = anchor;
    const m = tree.cliques.length;
    const holds = (c: number): boolean => tree.cliques[c].includes(anchor);
    let root = -1;
    for (const c of tree.order) {
      if (holds(c)) {
        root = c;
        break;
      }
    }
    this.parent = new Int32Array(m).fill(-1);
    this.depth = new Int32Array(m).fill(-1);
    this.separator = tree.cliques.map(() => []);
    this.given = tree.cliques.map(() => undefined);
    if (root < 0) return;
    const nbrs: number[][] = Array.from({ length: m }, () => []);
    for (const [a, b] of tree.edges) {
      nbrs[a].push(b);
      nbrs[b].push(a);
    }
    const order = [root];
    this.depth[root] = 0;
    for (let h = 0; h < order.length; h++) {
      const c = order[h];
      for (const n of nbrs[c]) {
        if (this.depth[n] >= 0) continue;
        this.depth[n] = this.depth[c] + 1;
        this.parent[n] = c;
        this.separator[n] = tree.cliques[n].filter((a) => tree.cliques[c].includes(a));
        order.push(n);
      }
    }
    for (const c of order) {
      const p = this.parent[c];
      if (p < 0 || holds(c)) continue;
      const sy = d.canonical([...this.separator[c], anchor]);
      let joint: Float64Array;
      if (holds(p)) {
        joint = new Float64Array(d.size(sy));
        sumInto(mus[p].values, indexMap(d, tree.cliques[p], sy), joint);
      } else {
        joint = productMarginal(d, [mus[p], this.given[p] as Factor], sy).values;
      }
      this.given[c] = new Factor(d, sy, conditionalValues(d, sy, sy.filter((a) => a !== anchor), joint));
    }
  }

  /** The marginal over canonical `target` (which holds the anchor), or undefined when this path does not apply. */
  marginal(target: readonly string[]): Factor | undefined {
    const rest = target.filter((a) => a !== this.anchor);
    if (rest.length === 0 || rest.length === target.length) return undefined;
    const nodes = this.tree.coveringSubtree(rest);
    if (nodes.some((c) => this.depth[c] < 0)) return undefined;
    let top = nodes[0];
    for (const c of nodes) if (this.depth[c] < this.depth[top]) top = c;
    const given = this.given[top];
    if (given === undefined) return undefined;
    const factors: Factor[] = [this.mus[top], given];
    for (const c of nodes) if (c !== top) factors.push(this.conditional(c));
    return variableElimination(this.domain, factors, target);
  }

  /** mu_c / mu_{separator(c)} with the separator towards the anchor's root (0/0 = 0), cached. */
  private conditional(c: number): Factor {
    const hit = this.conditionals.get(c);
    if (hit !== undefined) return hit;
    const d = this.domain;
    const out = conditionalValues(d, this.tree.cliques[c], this.separator[c], this.mus[c].values);
    const f = new Factor(d, this.tree.cliques[c], out);
    this.conditionals.set(c, f);
    return f;
  }
}

