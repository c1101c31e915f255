// BeliefPropagation: calibrated sum-product message passing on a junction tree, in log space,
// turning clique log-potentials into clique marginals whose total mass is the record count.
import { Factor, sumInto } from './Factor.js';
import { CliqueVector } from './CliqueVector.js';
import { indexMap } from './IndexMap.js';
import { sumIntoEach } from './fusedProjection.js';
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
  /** Clique cell → its separator cell (the root: every cell → 0, one slice of the whole table). */
  private readonly ownSep: Int32Array[];
  /** Per clique: its children's upward messages and the maps of its cells onto their separators. */
  private readonly childUp: Float64Array[][];
  private readonly childMap: Int32Array[][];
  /** Per clique: its children's separator-marginal buffers (filled from its marginal in one pass). */
  private readonly childSepMarg: Float64Array[][];
  private readonly up: Float64Array[];
  private readonly sliceMax: Float64Array[];
  private readonly sliceSum: Float64Array[];
  private readonly sepMarg: Float64Array[];
  private readonly work: Float64Array[];

  /** The tree's domain and cliques (the MarginalOracle view). */
  get domain(): JunctionTree['domain'] {
    return this.tree.domain;
  }
  get cliques(): JunctionTree['cliques'] {
    return this.tree.cliques;
  }

  constructor(tree: JunctionTree) {
    this.tree = tree;
    const d = tree.domain;
    const m = tree.cliques.length;
    this.ownSep = [];
    this.up = [];
    this.sliceMax = [];
    this.sliceSum = [];
    this.sepMarg = [];
    this.work = [];
    for (let i = 0; i < m; i++) {
      const sep = tree.separator[i];
      const ns = d.size(sep);
      this.ownSep.push(indexMap(d, tree.cliques[i], tree.parent[i] >= 0 ? sep : []));
      this.up.push(new Float64Array(ns));
      this.sliceMax.push(new Float64Array(ns));
      this.sliceSum.push(new Float64Array(ns));
      this.sepMarg.push(new Float64Array(ns));
      this.work.push(new Float64Array(d.size(tree.cliques[i])));
    }
    this.childUp = tree.children.map((cs) => cs.map((c) => this.up[c]));
    this.childMap = tree.children.map((cs, i) => cs.map((c) => indexMap(d, tree.cliques[i], tree.separator[c])));
    this.childSepMarg = tree.children.map((cs) => cs.map((c) => this.sepMarg[c]));
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
    // Collect. The root is one slice (its map sends every cell to 0), so its logsumexp is the
    // same per-slice computation as every other clique's upward message.
    for (let h = m - 1; h >= 0; h--) {
      const i = order[h];
      const b = this.work[i];
      const map = this.ownSep[i];
      const mx = this.sliceMax[i];
      const sm = this.sliceSum[i];
      mx.fill(-Infinity);
      partialBelief(potentials[i], this.childUp[i], this.childMap[i], b, map, mx, 0, b.length);
      // A slice that is entirely -Infinity (zero potential) stays empty instead of NaN.
      for (let j = 0; j < mx.length; j++) if (mx[j] === -Infinity) mx[j] = 0;
      sm.fill(0);
      if (t.parent[i] < 0) {
        // The root is one slice: its sum in a register (the same additions in the same order).
        const m0 = mx[0];
        let acc = 0;
        for (let k = 0; k < b.length; k++) {
          const e = Math.exp(b[k] - m0);
          b[k] = e;
          acc += e;
        }
        sm[0] = acc;
      } else {
        for (let k = 0; k < b.length; k++) {
          const j = map[k];
          const e = Math.exp(b[k] - mx[j]);
          b[k] = e;
          sm[j] += e;
        }
      }
      if (t.parent[i] >= 0) {
        const upm = this.up[i];
        for (let j = 0; j < upm.length; j++) upm[j] = mx[j] + Math.log(sm[j]);
      } else {
        logZ = mx[0] + Math.log(sm[0]);
        rootSum = sm[0];
      }
    }
    if (!Number.isFinite(logZ) || !(rootSum > 0)) {
      throw new FedsynthError(ErrorCode.Internal, 'BeliefPropagation: normaliser is not finite', { logZ });
    }
    // Distribute: a clique's marginal is final before its children's, which take their parent's
    // separator marginals (all children of one clique in one pass over it).
    for (let h = 0; h < m; h++) {
      const i = order[h];
      const e = this.work[i];
      const o = out[i];
      if (t.parent[i] < 0) {
        const scale = total / rootSum;
        for (let k = 0; k < e.length; k++) o[k] = e[k] * scale;
      } else {
        const ratio = this.sepMarg[i];
        const sm = this.sliceSum[i];
        for (let j = 0; j < ratio.length; j++) ratio[j] = sm[j] > 0 ? ratio[j] / sm[j] : 0;
        const map = this.ownSep[i];
        for (let k = 0; k < e.length; k++) o[k] = e[k] * ratio[map[k]];
      }
      if (this.childMap[i].length > 0) sumIntoEach(o, this.childMap[i], this.childSepMarg[i]);
    }
    return logZ;
  }
}

/**
 * `b` = the log-potential plus the children's upward messages `msgs` (through `maps`, added in
 * child order), and `mx` = the maximum of `b` over each separator slice (`map`; `mx` initialised
 * by the caller), in passes that add up to two messages each (the maximum taken in the last
 * pass), over the cells [lo, hi) only: every cell's sum is its own, and the maxima of two halves
 * combined in cell order equal one pass's (exact; the first of equal values is kept).
 */
export function partialBelief(pot: Float64Array, msgs: readonly Float64Array[], maps: readonly Int32Array[], b: Float64Array, map: Int32Array, mx: Float64Array, lo: number, hi: number): void {
  let src = pot;
  let q = 0;
  for (;;) {
    const left = msgs.length - q;
    if (left > 2) {
      const u0 = msgs[q];
      const m0 = maps[q];
      const u1 = msgs[q + 1];
      const m1 = maps[q + 1];
      for (let k = lo; k < hi; k++) b[k] = src[k] + u0[m0[k]] + u1[m1[k]];
      src = b;
      q += 2;
      continue;
    }
    if (left === 2) {
      const u0 = msgs[q];
      const m0 = maps[q];
      const u1 = msgs[q + 1];
      const m1 = maps[q + 1];
      for (let k = lo; k < hi; k++) {
        const v = src[k] + u0[m0[k]] + u1[m1[k]];
        b[k] = v;
        const j = map[k];
        if (v > mx[j]) mx[j] = v;
      }
    } else if (left === 1) {
      const u0 = msgs[q];
      const m0 = maps[q];
      for (let k = lo; k < hi; k++) {
        const v = src[k] + u0[m0[k]];
        b[k] = v;
        const j = map[k];
        if (v > mx[j]) mx[j] = v;
      }
    } else {
      for (let k = lo; k < hi; k++) {
        const v = src[k];
        b[k] = v;
        const j = map[k];
        if (v > mx[j]) mx[j] = v;
      }
    }
    return;
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
