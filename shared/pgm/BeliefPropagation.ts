// BeliefPropagation: calibrated sum-product message passing on a junction tree, in log space,
// turning clique log-potentials into clique marginals whose total mass is the record count.
import { Factor, logsumexpInto, sumInto } from './Factor.js';
import { CliqueVector } from './CliqueVector.js';
import { indexMap } from './IndexMap.js';
import type { JunctionTree } from './JunctionTree.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** Below this a separator sum is recomputed with an exact logsumexp (avoids log of underflow). */
const UNDERFLOW = 1e-250;

/**
 * Reusable Hugin-style two-pass propagation on one junction tree (Koller & Friedman 2009, ch. 10;
 * the calibration step of Private-PGM, McKenna, Sheldon & Miklau, ICML 2019). Index maps and
 * buffers are allocated once, so repeated calls inside mirror descent allocate nothing.
 *
 * Collect (leaves → root): the upward message of clique c is the logsumexp of its potential plus
 * its children's messages onto the separator with its parent. Distribute (root → leaves): the
 * downward message to c is the parent's marginal summed onto the separator, divided by c's
 * upward message (computed from the linear marginal, falling back to an exact logsumexp when a
 * separator cell underflows). Marginal of c = total · exp(belief_c − log Z).
 */
export class BeliefPropagator {
  readonly tree: JunctionTree;
  private readonly ownSep: (Int32Array | null)[];
  private readonly parentSep: (Int32Array | null)[];
  private readonly up: Float64Array[];
  private readonly down: Float64Array[];
  private readonly sepSum: Float64Array[];
  private readonly belief: Float64Array[];
  private readonly scratch: Float64Array;

  constructor(tree: JunctionTree) {
    this.tree = tree;
    const d = tree.domain;
    const m = tree.cliques.length;
    this.ownSep = new Array<Int32Array | null>(m).fill(null);
    this.parentSep = new Array<Int32Array | null>(m).fill(null);
    this.up = [];
    this.down = [];
    this.sepSum = [];
    this.belief = [];
    let maxSep = 1;
    for (let i = 0; i < m; i++) {
      const p = tree.parent[i];
      const sep = tree.separator[i];
      const ns = d.size(sep);
      maxSep = Math.max(maxSep, ns);
      if (p >= 0) {
        this.ownSep[i] = indexMap(d, tree.cliques[i], sep);
        this.parentSep[i] = indexMap(d, tree.cliques[p], sep);
      }
      this.up.push(new Float64Array(ns));
      this.down.push(new Float64Array(ns));
      this.sepSum.push(new Float64Array(ns));
      this.belief.push(new Float64Array(d.size(tree.cliques[i])));
    }
    this.scratch = new Float64Array(maxSep);
  }

  /**
   * Calibrate: `potentials[i]` is the log-potential of tree clique i; writes the marginals
   * (linear, summing to `total`) into `out[i]` and returns log Z of the potentials.
   */
  run(potentials: readonly Float64Array[], total: number, out: Float64Array[]): number {
    const t = this.tree;
    const order = t.order;
    const m = order.length;
    // Collect.
    for (let h = m - 1; h >= 0; h--) {
      const i = order[h];
      const b = this.belief[i];
      b.set(potentials[i]);
      for (const c of t.children[i]) {
        const map = this.parentSep[c] as Int32Array;
        const msg = this.up[c];
        for (let k = 0; k < b.length; k++) b[k] += msg[map[k]];
      }
      if (t.parent[i] >= 0) logsumexpInto(b, this.ownSep[i] as Int32Array, this.up[i], this.scratch);
    }
    const rootBelief = this.belief[t.root];
    let mx = -Infinity;
    for (let k = 0; k < rootBelief.length; k++) if (rootBelief[k] > mx) mx = rootBelief[k];
    let s = 0;
    for (let k = 0; k < rootBelief.length; k++) s += Math.exp(rootBelief[k] - mx);
    const logZ = mx + Math.log(s);
    if (!Number.isFinite(logZ)) {
      throw new FedsynthError(ErrorCode.Internal, 'BeliefPropagation: normaliser is not finite', { logZ });
    }
    const logTotal = Math.log(total);
    const shift = logTotal - logZ;
    // Distribute.
    for (let h = 0; h < m; h++) {
      const i = order[h];
      const b = this.belief[i];
      const p = t.parent[i];
      if (p >= 0) {
        const map = this.ownSep[i] as Int32Array;
        const msg = this.down[i];
        for (let k = 0; k < b.length; k++) b[k] += msg[map[k]];
      }
      const o = out[i];
      for (let k = 0; k < b.length; k++) o[k] = Math.exp(b[k] + shift);
      for (const c of t.children[i]) {
        const pmap = this.parentSep[c] as Int32Array;
        const ss = this.sepSum[c];
        sumInto(o, pmap, ss);
        const upc = this.up[c];
        const dn = this.down[c];
        let exact = false;
        for (let j = 0; j < ss.length; j++) {
          if (ss[j] < UNDERFLOW) {
            exact = true;
            break;
          }
          dn[j] = Math.log(ss[j]) - shift - upc[j];
        }
        if (exact) {
          logsumexpInto(b, pmap, dn, this.scratch);
          for (let j = 0; j < dn.length; j++) dn[j] -= upc[j];
        }
      }
    }
    return logZ;
  }
}

/**
 * Log-potentials laid out on the tree's cliques: each factor of `potentials` is added into the
 * smallest tree clique containing it (it always exists when the tree was built from cliques
 * covering the factors). Factors with no containing clique are an error.
 */
export function potentialsOnTree(tree: JunctionTree, potentials: CliqueVector): Float64Array[] {
  const d = tree.domain;
  const out = tree.cliques.map((c) => new Float64Array(d.size(c)));
  for (const f of potentials.factors) {
    const i = tree.cliqueContaining(f.attrs);
    if (i < 0) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'potential is not contained in any junction-tree clique', { attrs: [...f.attrs] });
    }
    const map = indexMap(d, tree.cliques[i], f.attrs);
    const o = out[i];
    const v = f.values;
    for (let k = 0; k < o.length; k++) o[k] += v[map[k]];
  }
  return out;
}

/**
 * Calibrated clique marginals of the model with log-potentials `potentials` on `tree`: a
 * CliqueVector over the tree's cliques, each summing to `total`.
 */
export function beliefPropagation(tree: JunctionTree, potentials: CliqueVector, total: number): CliqueVector {
  const pots = potentialsOnTree(tree, potentials);
  const out = tree.cliques.map((c) => new Float64Array(tree.domain.size(c)));
  new BeliefPropagator(tree).run(pots, total, out);
  return new CliqueVector(tree.cliques.map((c, i) => new Factor(tree.domain, c, out[i])));
}
