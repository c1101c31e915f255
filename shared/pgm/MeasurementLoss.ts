// MeasurementLoss: Private-PGM's noise-weighted L2 loss of clique marginals against the measurements
// (repeated attribute sets merged by inverse variance), its gradient, and the Armijo decrease term.
import type { Domain } from './Domain.js';
import { gatherSum, sumIntoEach } from './fusedProjection.js';
import { indexMap } from './IndexMap.js';
import type { Measurement } from './Measurement.js';
import { projectionHubs } from './projectionHubs.js';

/**
 * The cliques a loss is evaluated on: a junction tree's, or the factors of an approximate
 * oracle (LoopyBeliefPropagator); every measured set must lie in one of them.
 */
export interface CliqueCover {
  readonly domain: Domain;
  readonly cliques: readonly (readonly string[])[];
  /** The smallest clique containing `attrs` (-1: none). */
  cliqueContaining(attrs: readonly string[]): number;
}

/**
 * Measurements of one attribute set merged: weight W = sum 1/stddev², target = weighted mean. A
 * hub (projectionHubs) is a group without measurements (weight 0): its projection feeds the
 * groups inside it and its gradient is theirs, pushed up.
 */
interface Group {
  attrs: readonly string[];
  clique: number;
  /** Projected from the smallest other group of the clique that contains it (-1: the clique). */
  source: number;
  /** Cell of the source table → cell of this group. */
  map: Int32Array;
  weight: number;
  target: Float64Array;
  proj: Float64Array;
  grad: Float64Array;
  /** Projection and total gradient at the last accepted iterate (top-level groups only). */
  projOld: Float64Array;
  gradOld: Float64Array;
  /** sum_i w_i |y_i|² − W |ȳ|², so the merged loss equals the original one exactly. */
  offset: number;
}

/**
 * L(mu) = Σ_i ||M_{attrs_i}(mu) − y_i||² / (2 stddev_i²) over the tree's clique marginals mu.
 * Repeated measurements of one attribute set are merged into their inverse-variance weighted mean
 * (same loss up to a constant, which is added back). Holds per-group buffers: not re-entrant.
 */
export class MeasurementLoss {
  private readonly groups: Group[];
  private readonly top: Group[];
  /** Groups projected from another group (not from a clique), in `groups` order. */
  private readonly nested: Group[];
  /** The nested groups by source, sources in `groups` order: one fused pass over each source. */
  private readonly bySource: { proj: Float64Array; maps: Int32Array[]; outs: Float64Array[] }[];
  /** Per clique: its top-level groups (in `groups` order), their maps and buffers, for fused passes. */
  private readonly byClique: TopGroups[];
  private readonly constant: number;
  private readonly measured: number;

  /**
   * `alloc` makes each group's projection and residual-gradient buffers (default: plain arrays;
   * a two-thread fit passes shared memory, which its helper thread reads and writes).
   */
  constructor(tree: CliqueCover, measurements: readonly Measurement[], alloc: (n: number) => Float64Array = (n) => new Float64Array(n)) {
    this.groups = groupMeasurements(tree, measurements, alloc);
    this.measured = this.groups.filter((g) => g.weight > 0).length;
    let constant = 0;
    for (const g of this.groups) constant += 0.5 * g.offset;
    this.constant = constant;
    this.top = this.groups.filter((g) => g.source < 0);
    this.nested = this.groups.filter((g) => g.source >= 0);
    this.bySource = this.groups
      .map((src, si) => ({ src, own: this.nested.filter((g) => g.source === si) }))
      .filter((e) => e.own.length > 0)
      .map(({ src, own }) => ({ proj: src.proj, maps: own.map((g) => g.map), outs: own.map((g) => g.proj) }));
    const cliques = [...new Set(this.top.map((g) => g.clique))];
    this.byClique = cliques.map((clique) => {
      const own = this.top.filter((g) => g.clique === clique);
      const rev = [...own].reverse();
      return { clique, attrs: own.map((g) => g.attrs), maps: own.map((g) => g.map), proj: own.map((g) => g.proj), gradsReversed: rev.map((g) => g.grad), mapsReversed: rev.map((g) => g.map) };
    });
  }

  /** The top-level groups by clique, in the order `evaluate` projects them (for a two-thread fit). */
  get topGroups(): readonly TopGroups[] {
    return this.byClique;
  }

  /** Number of distinct measured attribute sets (0: nothing to fit). */
  get size(): number {
    return this.measured;
  }

  /** Mirror-descent start step: the smallest noise variance over total² (1/total² without measurements). */
  initialStep(total: number): number {
    let minVar = Infinity;
    for (const g of this.groups) minVar = Math.min(minVar, 1 / g.weight);
    return (Number.isFinite(minVar) ? minVar : 1) / (total * total);
  }

  /** Loss at marginals `marg`; leaves each group's residual gradient w·(proj − y) in g.grad. */
  evaluate(marg: Float64Array[]): number {
    this.projectTop(marg);
    return this.evaluateProjected();
  }

  /** The top-level groups' projections of `marg`: one pass over each clique for all of its groups. */
  projectTop(marg: Float64Array[]): void {
    for (const c of this.byClique) sumIntoEach(marg[c.clique], c.maps, c.proj);
  }

  /** `evaluate` after `projectTop` (or a two-thread fit's projections): the nested groups, residuals and loss. */
  evaluateProjected(): number {
    const groups = this.groups;
    let loss = this.constant;
    // The nested groups from their sources, largest source first (a source precedes its groups, so
    // it is already projected); one fused pass per source gives each group sumInto's sums.
    for (const e of this.bySource) sumIntoEach(e.proj, e.maps, e.outs);
    for (const g of groups) {
      const y = g.target;
      const w = g.weight;
      const p = g.proj;
      const gr = g.grad;
      if (w === 0) {
        // A hub: no residual of its own; pushNested adds the gradients of the groups inside it.
        gr.fill(0);
        continue;
      }
      let s = 0;
      for (let k = 0; k < p.length; k++) {
        const r = p[k] - y[k];
        s += r * r;
        gr[k] = w * r;
      }
      loss += 0.5 * w * s;
    }
    return loss;
  }

  /**
   * Gradient w.r.t. the clique marginals into `out`, for the last `evaluate`: each group's
   * gradient is pushed into its source group (smallest first), top-level groups into their
   * clique. Also records, per top-level group, its projection and total gradient, so that the
   * Armijo term <∇L, mu_old − mu_new> = Σ_top <g_total, proj_old − proj_new> is evaluated in
   * measurement space instead of over every clique cell.
   */
  accumulate(out: Float64Array[]): void {
    this.pushNested();
    this.gatherTop(out);
    this.saveOld();
  }

  /** `accumulate`'s first step: each nested group's gradient pushed into its source group. */
  pushNested(): void {
    const groups = this.groups;
    // Nested groups into their sources, smallest first (a source always precedes its groups), so
    // every top-level group holds its total gradient; then each clique in one pass, its groups
    // added in the same (reverse) order as one pass per group would.
    const nested = this.nested;
    for (let gi = nested.length - 1; gi >= 0; gi--) {
      const g = nested[gi];
      const o = groups[g.source].grad;
      const map = g.map;
      const gr = g.grad;
      for (let k = 0; k < o.length; k++) o[k] += gr[map[k]];
    }
  }

  /** `accumulate`'s second step: the top-level gradients gathered onto the cliques (zero elsewhere). */
  gatherTop(out: Float64Array[]): void {
    for (const o of out) o.fill(0);
    for (const c of this.byClique) gatherSum(c.gradsReversed, c.mapsReversed, out[c.clique]);
  }

  /** `accumulate`'s last step: the Armijo term's reference (projection and gradient at this iterate). */
  saveOld(): void {
    for (const g of this.top) {
      g.projOld.set(g.proj);
      g.gradOld.set(g.grad);
    }
  }

  /** <∇L(mu_old), mu_old − mu_new> for the last `accumulate` (old) and the last `evaluate` (new). */
  armijoDecrease(): number {
    let dec = 0;
    for (const g of this.top) {
      const go = g.gradOld;
      const po = g.projOld;
      const p = g.proj;
      for (let k = 0; k < p.length; k++) dec += go[k] * (po[k] - p[k]);
    }
    return dec;
  }
}

/** The top-level groups of one clique: their attributes, maps from the clique, projections and (reversed) gradients. */
export interface TopGroups {
  readonly clique: number;
  readonly attrs: readonly (readonly string[])[];
  readonly maps: readonly Int32Array[];
  readonly proj: readonly Float64Array[];
  readonly gradsReversed: readonly Float64Array[];
  readonly mapsReversed: readonly Int32Array[];
}

function groupMeasurements(tree: CliqueCover, measurements: readonly Measurement[], alloc: (n: number) => Float64Array): Group[] {
  const d = tree.domain;
  const byKey = new Map<string, { attrs: readonly string[]; items: Measurement[] }>();
  for (const m of measurements) {
    const key = m.attrs.join('\u0001');
    const g = byKey.get(key);
    if (g) g.items.push(m);
    else byKey.set(key, { attrs: m.attrs, items: [m] });
  }
  const groups: Group[] = [];
  for (const { attrs, items } of byKey.values()) {
    const clique = tree.cliqueContaining(attrs);
    const n = items[0].values.length;
    const target = new Float64Array(n);
    let weight = 0;
    let sq = 0;
    for (const m of items) {
      const w = 1 / (m.stddev * m.stddev);
      weight += w;
      for (let k = 0; k < n; k++) {
        target[k] += w * m.values[k];
        sq += w * m.values[k] * m.values[k];
      }
    }
    let tq = 0;
    for (let k = 0; k < n; k++) {
      target[k] /= weight;
      tq += target[k] * target[k];
    }
    groups.push({ attrs, clique, source: -1, map: new Int32Array(0), weight, target, proj: alloc(n), grad: alloc(n), projOld: new Float64Array(n), gradOld: new Float64Array(n), offset: sq - weight * tq });
  }
  // Hubs: per clique, unmeasured unions of its top-level sets through which they are projected.
  const byClique = new Map<number, Group[]>();
  for (const g of groups) {
    const own = byClique.get(g.clique);
    if (own) own.push(g);
    else byClique.set(g.clique, [g]);
  }
  for (const [clique, own] of byClique) {
    const tops = own.filter((g) => !own.some((o) => o.attrs.length > g.attrs.length && g.attrs.every((a) => o.attrs.includes(a))));
    if (tops.length < 2) continue;
    for (const attrs of projectionHubs(d, tree.cliques[clique], tops.map((g) => g.attrs))) {
      const n = d.size(attrs);
      groups.push({ attrs, clique, source: -1, map: new Int32Array(0), weight: 0, target: new Float64Array(n), proj: alloc(n), grad: alloc(n), projOld: new Float64Array(n), gradOld: new Float64Array(n), offset: 0 });
    }
  }
  // Largest first: a group is projected from the smallest larger group of its clique that
  // contains it (e.g. a 1-way from a measured 3-way, or from a hub), so each clique is scanned
  // once per top-level set only.
  groups.sort((a, b) => b.proj.length - a.proj.length || a.clique - b.clique);
  groups.forEach((g, gi) => {
    let best = -1;
    for (let h = 0; h < gi; h++) {
      const o = groups[h];
      if (o.clique !== g.clique || o.attrs.length <= g.attrs.length) continue;
      if (!g.attrs.every((a) => o.attrs.includes(a))) continue;
      if (best < 0 || o.proj.length < groups[best].proj.length) best = h;
    }
    g.source = best;
    g.map = indexMap(d, best < 0 ? tree.cliques[g.clique] : groups[best].attrs, g.attrs);
  });
  return groups;
}
