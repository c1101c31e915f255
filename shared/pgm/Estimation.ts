// Estimation: fit a graphical model to noisy marginal measurements by mirror descent on the
// clique log-potentials (Private-PGM, McKenna, Sheldon & Miklau, ICML 2019, Algorithm 1).
import type { Domain } from './Domain.js';
import { Factor, sumInto } from './Factor.js';
import { CliqueVector } from './CliqueVector.js';
import { JunctionTree } from './JunctionTree.js';
import { BeliefPropagator } from './BeliefPropagation.js';
import { GraphicalModel } from './GraphicalModel.js';
import { indexMap } from './IndexMap.js';
import type { Measurement } from './Measurement.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

export interface EstimateOptions {
  /** Mirror-descent iterations (default 1000). */
  iters?: number;
  /** Number of records; estimated from the measurements when omitted. */
  total?: number;
  /** Previous model (or its potentials) to start from; AIM refits after every round. */
  warmStart?: GraphicalModel | CliqueVector;
  /** Extra cliques the model must contain besides the measured attribute sets. */
  cliques?: readonly (readonly string[])[];
  /**
   * 'accelerated' (default): Nesterov's universal accelerated method with a backtracking
   * smoothness estimate, entropic (mirror) projection by belief propagation; 'mirror-descent':
   * Private-PGM's Algorithm 1 with an Armijo step.
   */
  method?: 'accelerated' | 'mirror-descent';
  /** Called after each iteration with the loss; return `false` to stop early. */
  callback?: (iteration: number, loss: number) => boolean | void;
}

/**
 * Estimate of the number of records from the measurements: each measurement's sum is an
 * unbiased estimate with variance stddev² · cells; they are combined by inverse-variance
 * weighting (as Private-PGM does), floored at 1.
 */
export function estimateTotal(domain: Domain, measurements: readonly Measurement[]): number {
  let num = 0;
  let den = 0;
  for (const m of measurements) {
    let s = 0;
    for (let k = 0; k < m.values.length; k++) s += m.values[k];
    const variance = m.stddev * m.stddev * m.values.length;
    num += s / variance;
    den += 1 / variance;
  }
  return den > 0 ? Math.max(1, num / den) : 1;
}

/** Measurements of one attribute set merged: weight W = sum 1/stddev², target = weighted mean. */
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

function validate(domain: Domain, measurements: readonly Measurement[]): void {
  for (const m of measurements) {
    if (!domain.isCanonical(m.attrs)) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'measurement attrs must be domain columns in domain order', { attrs: [...m.attrs] });
    }
    if (m.values.length !== domain.size(m.attrs)) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'measurement has the wrong number of cells', {
        attrs: [...m.attrs],
        expected: domain.size(m.attrs),
        got: m.values.length,
      });
    }
    if (!m.values.every((v) => Number.isFinite(v))) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'measurement values must be finite', { attrs: [...m.attrs] });
    }
    if (!(m.stddev > 0) || !Number.isFinite(m.stddev)) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'measurement stddev must be positive and finite', { attrs: [...m.attrs], stddev: m.stddev });
    }
  }
}

function groupMeasurements(tree: JunctionTree, measurements: readonly Measurement[]): Group[] {
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
    groups.push({ attrs, clique, source: -1, map: new Int32Array(0), weight, target, proj: new Float64Array(n), grad: new Float64Array(n), projOld: new Float64Array(n), gradOld: new Float64Array(n), offset: sq - weight * tq });
  }
  // Largest first: a group is projected from the smallest larger group of its clique that
  // contains it (e.g. a 1-way from a measured 3-way), so each clique is scanned once per
  // top-level measurement only.
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

/** Initial log-potentials on the tree cliques from a warm start (zeros when none). */
function initialPotentials(tree: JunctionTree, warm: GraphicalModel | CliqueVector | undefined): Float64Array[] {
  const d = tree.domain;
  const theta = tree.cliques.map((c) => new Float64Array(d.size(c)));
  if (warm === undefined) return theta;
  const pots = warm instanceof GraphicalModel ? warm.potentials : warm;
  const contained = pots.factors.every((f) => tree.cliqueContaining(f.attrs) >= 0);
  if (contained) {
    for (const f of pots.factors) {
      const i = tree.cliqueContaining(f.attrs);
      const map = indexMap(d, tree.cliques[i], f.attrs);
      const t = theta[i];
      const v = f.values;
      for (let k = 0; k < t.length; k++) t[k] += v[map[k]];
    }
    return theta;
  }
  if (!(warm instanceof GraphicalModel)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'warm-start potentials do not fit the new junction tree; pass the GraphicalModel instead');
  }
  // Junction-tree projection of the previous model: theta_c = log mu_c − log mu_sep(c).
  return potentialsFromMarginals(tree, tree.cliques.map((c) => warm.project(c)));
}

/**
 * Fit p minimising L(p) = sum_i 1/(2 stddev_i²) · ||M_{attrs_i}(p) − y_i||² over graphical
 * models on the junction tree of the measured attribute sets (Private-PGM's noise-weighted L2
 * loss: each residual is scaled by 1/stddev). Mirror descent on the log-potentials theta with
 * the gradient taken w.r.t. the clique marginals mu, and an Armijo backtracking step size that
 * doubles after an iteration that needed no backtracking and halves until L decreases by at least
 * ½·alpha·<∇L, mu_old − mu_new> (Private-PGM `mirror_descent`'s Armijo rule). Repeated measurements of one attribute set are merged into
 * their inverse-variance weighted mean (same loss up to a constant, which is added back).
 */
export function estimate(domain: Domain, measurements: readonly Measurement[], opts: EstimateOptions = {}): GraphicalModel {
  validate(domain, measurements);
  const iters = opts.iters ?? 1000;
  const extra = opts.cliques ?? [];
  const tree = JunctionTree.build(domain, [...measurements.map((m) => m.attrs), ...extra.map((c) => domain.canonical(c))]);
  const total = opts.total ?? estimateTotal(domain, measurements);
  if (!(total > 0) || !Number.isFinite(total)) throw new FedsynthError(ErrorCode.InvalidArgument, 'estimate: total must be positive', { total });
  const groups = groupMeasurements(tree, measurements);
  const m = tree.cliques.length;
  const sizes = tree.cliques.map((c) => domain.size(c));
  const alloc = (): Float64Array[] => sizes.map((n) => new Float64Array(n));
  const bp = new BeliefPropagator(tree);

  let theta = initialPotentials(tree, opts.warmStart);
  let omega = alloc();
  const mu = alloc();
  let grad = alloc();
  let dL = alloc();
  let constant = 0;
  for (const g of groups) constant += 0.5 * g.offset;

  const top = groups.filter((g) => g.source < 0);

  /** Loss at marginals `marg`; leaves each group's residual gradient w·(proj − y) in g.grad. */
  const evalLoss = (marg: Float64Array[]): number => {
    let loss = constant;
    for (const g of groups) sumInto(g.source < 0 ? marg[g.clique] : groups[g.source].proj, g.map, g.proj);
    for (const g of groups) {
      const y = g.target;
      const w = g.weight;
      const p = g.proj;
      const gr = g.grad;
      let s = 0;
      for (let k = 0; k < p.length; k++) {
        const r = p[k] - y[k];
        s += r * r;
        gr[k] = w * r;
      }
      loss += 0.5 * w * s;
    }
    return loss;
  };

  /**
   * Gradient w.r.t. the clique marginals into `out`, for the last `evalLoss`: each group's
   * gradient is pushed into its source group (smallest first), top-level groups into their
   * clique. Also records, per top-level group, its projection and total gradient, so that the
   * Armijo term <∇L, mu_old − mu_new> = Σ_top <g_total, proj_old − proj_new> is evaluated in
   * measurement space instead of over every clique cell.
   */
  const accumulate = (out: Float64Array[]): void => {
    for (const o of out) o.fill(0);
    for (let gi = groups.length - 1; gi >= 0; gi--) {
      const g = groups[gi];
      const o = g.source < 0 ? out[g.clique] : groups[g.source].grad;
      const map = g.map;
      const gr = g.grad;
      for (let k = 0; k < o.length; k++) o[k] += gr[map[k]];
    }
    for (const g of top) {
      g.projOld.set(g.proj);
      g.gradOld.set(g.grad);
    }
  };

  bp.run(theta, total, mu);
  let loss = evalLoss(mu);
  accumulate(grad);
  let minVar = Infinity;
  for (const g of groups) minVar = Math.min(minVar, 1 / g.weight);
  let alpha = (Number.isFinite(minVar) ? minVar : 1) / (total * total);
  if ((opts.method ?? 'accelerated') === 'accelerated' && groups.length > 0) {
    // Natural step of the entropic geometry on counts: ~ 1 / (curvature · N), curvature ≤ 1 / min variance.
    const x = acceleratedFit(bp, theta, mu, total, alloc, alpha * total, iters, evalLoss, accumulate, opts.callback);
    const pots = potentialsFromMarginals(tree, x);
    bp.run(pots, total, mu);
    const potentials = new CliqueVector(tree.cliques.map((c, i) => new Factor(domain, c, pots[i])));
    const marginals = new CliqueVector(tree.cliques.map((c, i) => new Factor(domain, c, mu[i])));
    return new GraphicalModel(domain, tree, potentials, total, marginals);
  }
  let grow = true;

  for (let t = 1; t <= iters && groups.length > 0; t++) {
    // omega, dL <- theta, grad (swap buffers).
    [omega, theta] = [theta, omega];
    [dL, grad] = [grad, dL];
    const curr = loss;
    // Grow the step only when the previous one was accepted without backtracking: same Armijo
    // rule as Private-PGM, ~1.5 instead of ~2-3 propagations per iteration in steady state.
    if (grow) alpha *= 2;
    grow = true;
    for (let ls = 0; ls < 25; ls++) {
      for (let i = 0; i < m; i++) {
        const th = theta[i];
        const om = omega[i];
        const gi = dL[i];
        for (let k = 0; k < th.length; k++) th[k] = om[k] - alpha * gi[k];
      }
      bp.run(theta, total, mu);
      loss = evalLoss(mu);
      let dec = 0;
      for (const g of top) {
        const go = g.gradOld;
        const po = g.projOld;
        const p = g.proj;
        for (let k = 0; k < p.length; k++) dec += go[k] * (po[k] - p[k]);
      }
      if (curr - loss >= 0.5 * alpha * dec) break;
      alpha *= 0.5;
      grow = false;
    }
    accumulate(grad);
    if (opts.callback !== undefined && opts.callback(t, loss) === false) break;
  }
  const potentials = new CliqueVector(tree.cliques.map((c, i) => new Factor(domain, c, theta[i])));
  const marginals = new CliqueVector(tree.cliques.map((c, i) => new Factor(domain, c, mu[i])));
  return new GraphicalModel(domain, tree, potentials, total, marginals);
}

/**
 * Universal accelerated method (Nesterov, "Universal gradient methods for convex optimization
 * problems", Math. Program. 2015; the variant of Roulet & d'Aspremont, "Sharpness, restart and
 * acceleration", NeurIPS 2017, Algorithm 2), as offered by the newer Private-PGM (`mbi`) for the
 * same loss: primal iterates x, z in the marginal polytope of the junction tree, dual iterate u =
 * log-potentials, z = BP(u) (the entropic projection). Per step, with theta_k from the smoothness
 * estimates L_k = 1/step_k: y = (1−θ)x + θz; u ← u − (step/θ)∇L(y); z ← BP(u); x ← (1−θ)x + θz;
 * accepted when L(x) ≤ L(y) + <∇L(y), x − y> + θ²·L_k·KL(z⁺‖z), else the step is halved and
 * retried. The Bregman form of the usual test L_k/2·‖x − y‖² = θ²·L_k/2·‖z⁺ − z‖² (Tseng 2008,
 * "On accelerated proximal gradient methods for convex-concave optimization": the proof only
 * needs the quadratic bounded by the divergence of the mirror map, here the entropy of the tree
 * model, so KL(z⁺‖z) ≥ ‖z⁺ − z‖₁²/(2N) makes the test valid and far less conservative); after acceptance the next step starts 1.1x larger (2x after three first-try acceptances).
 * Convex combinations of calibrated junction-tree marginals stay globally consistent, so x is
 * always the marginal vector of a model on the tree (`potentialsFromMarginals`).
 * Returns x (the clique marginals of the estimate).
 */
function acceleratedFit(
  bp: BeliefPropagator,
  u: Float64Array[],
  z: Float64Array[],
  total: number,
  alloc: () => Float64Array[],
  step0: number,
  iters: number,
  evalLoss: (marg: Float64Array[]) => number,
  accumulate: (out: Float64Array[]) => void,
  callback: ((iteration: number, loss: number) => boolean | void) | undefined,
): Float64Array[] {
  const m = u.length;
  let x: Float64Array[] = z.map((v) => Float64Array.from(v));
  let xNew = alloc();
  let zNew = alloc();
  let uNew = alloc();
  const y = alloc();
  const gy = alloc();
  let step = step0;
  let prevStep = step0;
  let prevTheta = -1;
  let streak = 3;
  let fPrev = evalLoss(x);
  // Rounding slack of the test: the sums above carry relative errors ~1e-16 of the loss scale.
  const fScale = Math.abs(fPrev) + 1;
  const tree = bp.tree;
  const dom = tree.domain;
  const sepMaps = tree.cliques.map((c, i) => (tree.parent[i] >= 0 ? indexMap(dom, c, tree.separator[i]) : null));
  const sepA = tree.cliques.map((_, i) => new Float64Array(dom.size(tree.separator[i])));
  const sepB = tree.cliques.map((_, i) => new Float64Array(dom.size(tree.separator[i])));
  /** KL(a‖b) between two calibrated tree models given by clique marginals (counts, same total). */
  const kl = (a: Float64Array[], b: Float64Array[]): number => {
    let s = 0;
    for (let i = 0; i < m; i++) {
      s += klCells(a[i], b[i]);
      const map = sepMaps[i];
      if (map !== null) {
        sepA[i].fill(0);
        sepB[i].fill(0);
        sumInto(a[i], map, sepA[i]);
        sumInto(b[i], map, sepB[i]);
        s -= klCells(sepA[i], sepB[i]);
      }
    }
    return Math.max(0, s);
  };
  for (let t = 1; t <= iters; t++) {
    let fx = Infinity;
    for (let ls = 0; ls < 40; ls++) {
      const th = prevTheta < 0 ? 1 : 2 / (1 + Math.sqrt(1 + (4 * prevStep) / (prevTheta * prevTheta * step)));
      for (let i = 0; i < m; i++) {
        const xi = x[i], zi = z[i], yi = y[i];
        for (let k = 0; k < yi.length; k++) yi[k] = (1 - th) * xi[k] + th * zi[k];
      }
      const fy = evalLoss(y);
      accumulate(gy);
      const c = step / th;
      for (let i = 0; i < m; i++) {
        const ui = u[i], gi = gy[i], un = uNew[i];
        for (let k = 0; k < un.length; k++) un[k] = ui[k] - c * gi[k];
      }
      bp.run(uNew, total, zNew);
      let lin = 0;
      for (let i = 0; i < m; i++) {
        const xi = x[i], zn = zNew[i], xn = xNew[i], yi = y[i], gi = gy[i];
        for (let k = 0; k < xn.length; k++) {
          const v = (1 - th) * xi[k] + th * zn[k];
          xn[k] = v;
          lin += gi[k] * (v - yi[k]);
        }
      }
      fx = evalLoss(xNew);
      if (fx <= fy + lin + ((th * th) / step) * kl(zNew, z) * (1 + 1e-12) + 1e-13 * fScale) {
        [x, xNew] = [xNew, x];
        [z, zNew] = [zNew, z];
        [u, uNew] = [uNew, u];
        prevStep = step;
        prevTheta = th;
        // Grow fast while steps are accepted first time (the start is far too cautious), else 1.1x.
        streak = ls === 0 ? streak + 1 : 0;
        step *= streak >= 3 ? 2 : 1.1;
        // Function-value restart (O'Donoghue & Candès, "Adaptive restart for accelerated gradient
        // schemes", 2015): when the loss goes up, drop the momentum and restart from x.
        if (fx > fPrev) {
          for (let i = 0; i < m; i++) z[i].set(x[i]);
          const pots = potentialsFromMarginals(bp.tree, x);
          for (let i = 0; i < m; i++) u[i].set(pots[i]);
          prevTheta = -1;
        }
        fPrev = fx;
        break;
      }
      step *= 0.5;
    }
    if (callback !== undefined && callback(t, fx) === false) break;
  }
  return x;
}

/** Log-potentials of the tree model with clique marginals `mu`: theta_c = log mu_c − log mu_sep(c). */
function potentialsFromMarginals(tree: JunctionTree, mu: readonly Float64Array[]): Float64Array[] {
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

/** Σ a·log(a/b) over cells (0·log 0 = 0). */
function klCells(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const v = a[k];
    if (v > 0) s += v * Math.log(v / b[k]);
  }
  return s;
}
