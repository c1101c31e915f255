// universalAccelerated: the default estimator — Nesterov's universal accelerated method on the
// marginal polytope of the junction tree, belief propagation as the entropic (mirror) map.
import { sumInto } from './Factor.js';
import { potentialsFromMarginals } from './BeliefPropagation.js';
import { indexMap } from './IndexMap.js';
import type { Estimator } from './Estimator.js';

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
 * Starts from the log-potentials `u0` (taken over as a buffer); returns the potentials of x (the
 * estimate) and its calibrated marginals.
 */
export const universalAccelerated: Estimator = (bp, loss, u0, total, iters, callback) => {
  const sizes = bp.tree.cliques.map((c) => bp.tree.domain.size(c));
  const alloc = (): Float64Array[] => sizes.map((n) => new Float64Array(n));
  let u = u0;
  let z = alloc();
  bp.run(u, total, z);
  // Natural step of the entropic geometry on counts: ~ 1 / (curvature · N), curvature ≤ 1 / min variance.
  const step0 = loss.initialStep(total) * total;
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
  let fPrev = loss.evaluate(x);
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
      const fy = loss.evaluate(y);
      loss.accumulate(gy);
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
      fx = loss.evaluate(xNew);
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
  const potentials = potentialsFromMarginals(tree, x);
  const marginals = alloc();
  bp.run(potentials, total, marginals);
  return { potentials, marginals };
};

/** Σ a·log(a/b) over cells (0·log 0 = 0). */
function klCells(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const v = a[k];
    if (v > 0) s += v * Math.log(v / b[k]);
  }
  return s;
}
