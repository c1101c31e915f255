// BeliefPropagation: calibrated sum-product message passing on a junction tree, in log space,
// turning clique log-potentials into clique marginals whose total mass is the record count.
import { Factor, sumInto } from './Factor.js';
import { CliqueVector } from './CliqueVector.js';
import { indexMap } from './IndexMap.js';
import type { JunctionTree } from './JunctionTree.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/**
 * Reusable two-pass propagation on one junction tree (Koller & Friedman 2009, ch. 10; the
 * calibration step of Private-PGM, McKenna, Sheldon & Miklau, ICML 2019). Index maps and buffers
 * are allocated once, so repeated calls inside mirror descent allocate nothing, and each clique
 * cell goes through exactly one `Math.exp` per call.
 *
 * Collect (leaves → root), in log space: the partial belief of clique c is its log-potential
 * plus its children's upward messages; with m(s) the maximum of the partial belief over the
 * separator slice s, E_c = exp(partial − m(s)) and the upward message is m(s) + log Σ_slice E_c
 * (a per-slice-stable logsumexp). Distribute (root → leaves), in linear space: the root marginal
 * is total · E_root / Σ E_root; the marginal of a child is E_c · mu_parent(s) / Σ_slice E_c,
 * i.e. its conditional given the separator times the parent's separator marginal. No separator
 * division can underflow into a wrong value: an empty parent slice gives an empty child slice.
 */
export class BeliefPropagator {
  readonly tree: JunctionTree;
  private readonly ownSep: (Int32Array | null)[];
  private readonly parentSep: (Int32Array | null)[];
  private readonly up: Float64Array[];
  private readonly sliceMax: Float64Array[];
  private readonly sliceSum: Float64Array[];
  private readonly sepMarg: Float64Array[];
  private readonly work: Float64Array[];

  constructor(tree: JunctionTree) {
    this.tree = tree;
    const d = tree.domain;
    const m = tree.cliques.length;
    this.ownSep = new Array<Int32Array | null>(m).fill(null);
    this.parentSep = new Array<Int32Array | null>(m).fill(null);
    this.up = [];
    this.sliceMax = [];
    this.sliceSum = [];
    this.sepMarg = [];
    this.work = [];
    for (let i = 0; i < m; i++) {
      const p = tree.parent[i];
      const sep = tree.separator[i];
      const ns = d.size(sep);
      if (p >= 0) {
        this.ownSep[i] = indexMap(d, tree.cliques[i], sep);
        this.parentSep[i] = indexMap(d, tree.cliques[p], sep);
      }
      this.up.push(new Float64Array(ns));
      this.sliceMax.push(new Float64Array(ns));
      this.sliceSum.push(new Float64Array(ns));
      this.sepMarg.push(new Float64Array(ns));
      this.work.push(new Float64Array(d.size(tree.cliques[i])));
    }
  }

  /**
   * Calibrate: `potentials[i]` is the log-potential of tree clique i; writes the marginals
   * (linear, summing to `total`) into `out[i]` and returns log Z of the potentials.
   */
  run(potentials: readonly Float64Array[], total: number, out: Float64Array[]): number {
    const t = this.tree;
    const order = t.order;
    const m = order.length;
    let logZ = 0;
    let rootSum = 0;
    // Collect.
    for (let h = m - 1; h >= 0; h--) {
      const i = order[h];
      const b = this.work[i];
      b.set(potentials[i]);
      for (const c of t.children[i]) {
        const map = this.parentSep[c] as Int32Array;
        const msg = this.up[c];
        for (let k = 0; k < b.length; k++) b[k] += msg[map[k]];
      }
      const mx = this.sliceMax[i];
      const sm = this.sliceSum[i];
      if (t.parent[i] >= 0) {
        const map = this.ownSep[i] as Int32Array;
        mx.fill(-Infinity);
        for (let k = 0; k < b.length; k++) {
          const j = map[k];
          if (b[k] > mx[j]) mx[j] = b[k];
        }
        // A slice that is entirely -Infinity (zero potential) stays empty instead of NaN.
        for (let j = 0; j < mx.length; j++) if (mx[j] === -Infinity) mx[j] = 0;
        sm.fill(0);
        for (let k = 0; k < b.length; k++) {
          const j = map[k];
          const e = Math.exp(b[k] - mx[j]);
          b[k] = e;
          sm[j] += e;
        }
        const upm = this.up[i];
        for (let j = 0; j < upm.length; j++) upm[j] = mx[j] + Math.log(sm[j]);
      } else {
        let gm = -Infinity;
        for (let k = 0; k < b.length; k++) if (b[k] > gm) gm = b[k];
        let s = 0;
        for (let k = 0; k < b.length; k++) {
          const e = Math.exp(b[k] - gm);
          b[k] = e;
          s += e;
        }
        logZ = gm + Math.log(s);
        rootSum = s;
      }
    }
    if (!Number.isFinite(logZ) || !(rootSum > 0)) {
      throw new FedsynthError(ErrorCode.Internal, 'BeliefPropagation: normaliser is not finite', { logZ });
    }
    // Distribute.
    for (let h = 0; h < m; h++) {
      const i = order[h];
      const e = this.work[i];
      const o = out[i];
      const p = t.parent[i];
      if (p < 0) {
        const scale = total / rootSum;
        for (let k = 0; k < e.length; k++) o[k] = e[k] * scale;
      } else {
        const ratio = this.sepMarg[i];
        const sm = this.sliceSum[i];
        sumInto(out[p], this.parentSep[i] as Int32Array, ratio);
        for (let j = 0; j < ratio.length; j++) ratio[j] = sm[j] > 0 ? ratio[j] / sm[j] : 0;
        const map = this.ownSep[i] as Int32Array;
        for (let k = 0; k < e.length; k++) o[k] = e[k] * ratio[map[k]];
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

/** Log-potentials of the tree model with clique marginals `mu`: theta_c = log mu_c − log mu_sep(c). */
export function potentialsFromMarginals(tree: JunctionTree, mu: readonly Float64Array[]): Float64Array[] {
  const d = tree.domain;
  const FLOOR = 1e-300;
  return tree.cliques.map((c, i) => {
    const t = new Float64Array(mu[i].length);
    for (let k = 0; k < t.length; k++) t[k] = Math.log(Math.max(mu[i][k], FLOOR));
    if (tree.parent[i] >= 0) {
      const sep = tree.separator[i];
      const ms = new Float64Array(d.size(sep));
      const map = indexMap(d, c, sep);
      sumInto(mu[i], map, ms);
      for (let k = 0; k < t.length; k++) t[k] -= Math.log(Math.max(ms[map[k]], FLOOR));
    }
    return t;
  });
}
