// MarkovRandomField: a model p(x) ∝ exp(Σ_f θ_f(x_f)) over many small factors with no junction tree,
// fitted by mirror descent on loopy-BP pseudo-marginals and sampled by Gibbs sweeps.
import type { Domain } from './Domain.js';
import { sumInto } from './Factor.js';
import { indexMap, strides } from './IndexMap.js';
import { LoopyBeliefPropagator, type LoopyOptions } from './LoopyBeliefPropagation.js';
import { validateMeasurements, type Measurement } from './Measurement.js';
import { MeasurementLoss } from './MeasurementLoss.js';
import { mirrorDescentOn } from './mirrorDescent.js';
import { estimateTotal } from './Estimation.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat } from '../dp/random/uniform.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

export interface ApproximateEstimateOptions {
  /** Mirror-descent iterations (default 1000). */
  readonly iters?: number;
  /** Number of records; estimated from the measurements when omitted. */
  readonly total?: number;
  /** A previous field whose potentials are added into the factors containing them. */
  readonly warmStart?: MarkovRandomField;
  /** Message passing settings of the oracle. */
  readonly loopy?: LoopyOptions;
}

/**
 * A Markov random field on the factors of a LoopyBeliefPropagator (the maximal measured sets),
 * with its log-potentials and the pseudo-marginals (Bethe beliefs, scaled to `total`) they had at
 * the end of the fit. Marginals of sets inside one factor come from those beliefs; rows come from
 * Gibbs sampling of p itself (Geman & Geman 1984), which on a graph with cycles is a different
 * distribution from the beliefs — close where BP is accurate.
 */
export class MarkovRandomField {
  constructor(
    readonly domain: Domain,
    readonly cliques: readonly (readonly string[])[],
    readonly potentials: readonly Float64Array[],
    readonly beliefs: readonly Float64Array[],
    readonly total: number,
  ) {}

  /** Pseudo-marginal counts over `attrs`, which must lie inside one factor (InvalidArgument otherwise). */
  project(attrs: readonly string[]): Float64Array {
    const target = this.domain.canonical(attrs);
    let best = -1;
    this.cliques.forEach((c, i) => {
      if (target.every((a) => c.includes(a)) && (best < 0 || this.beliefs[i].length < this.beliefs[best].length)) best = i;
    });
    if (best < 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'MarkovRandomField: no factor contains the attribute set', { attrs: [...target] });
    const out = new Float64Array(this.domain.size(target));
    sumInto(this.beliefs[best], indexMap(this.domain, this.cliques[best], target), out);
    return out;
  }

  /**
   * `n` rows by `sweeps` systematic-scan Gibbs sweeps (columns in domain order; each column of
   * every row redrawn from p(x_v | x_rest) ∝ exp Σ_{f∋v} θ_f), starting from `init` (one Int32Array
   * per column, n rows: e.g. an exact sample of a junction-tree model fitted to part of the same
   * measurements, so few sweeps are needed) or, without it, from independent draws of the 1-way
   * pseudo-marginals. Cost per sweep O(n · Σ_f |f| · max domain size).
   */
  sample(n: number, rng: RandomSource, opts: { init?: readonly Int32Array[]; sweeps?: number } = {}): Int32Array[] {
    const d = this.domain;
    const cols = opts.init !== undefined ? opts.init.map((c) => Int32Array.from(c)) : this.independentStart(n, rng);
    if (cols.length !== d.attrs.length || cols.some((c) => c.length !== n)) throw new FedsynthError(ErrorCode.InvalidArgument, 'MarkovRandomField.sample: init must have one column of n rows per attribute');
    const sweeps = opts.sweeps ?? 20;
    // Per column: the factors containing it, with each factor's strides.
    const touching = d.attrs.map((a) => this.cliques.map((c, i) => ({ c, i })).filter(({ c }) => c.includes(a)));
    const logits = new Float64Array(Math.max(...d.shape));
    for (let s = 0; s < sweeps; s++) {
      for (let v = 0; v < d.attrs.length; v++) {
        const size = d.shape[v];
        const a = d.attrs[v];
        const fs = touching[v].map(({ c, i }) => {
          const st = strides(d.shapeOf(c));
          const others = c.map((b, j) => ({ col: cols[d.indexOf(b)], stride: st[j], self: b === a }));
          return { theta: this.potentials[i], own: others.find((o) => o.self)!.stride, rest: others.filter((o) => !o.self) };
        });
        const col = cols[v];
        for (let r = 0; r < n; r++) {
          logits.fill(0, 0, size);
          for (const f of fs) {
            let base = 0;
            for (const o of f.rest) base += o.col[r] * o.stride;
            for (let x = 0; x < size; x++) logits[x] += f.theta[base + x * f.own];
          }
          let mx = -Infinity;
          for (let x = 0; x < size; x++) if (logits[x] > mx) mx = logits[x];
          let z = 0;
          for (let x = 0; x < size; x++) {
            logits[x] = Math.exp(logits[x] - mx);
            z += logits[x];
          }
          let u = uniformFloat(rng) * z;
          let x = 0;
          while (x < size - 1 && u >= logits[x]) u -= logits[x++];
          col[r] = x;
        }
      }
    }
    return cols;
  }

  /**
   * Moment matching on persistent Gibbs chains (stochastic approximation of maximum likelihood,
   * Younes 1989; Tieleman 2008, "persistent contrastive divergence"; with iterative proportional
   * fitting's update, Deming & Stephan 1940): for `rounds` rounds, one Gibbs sweep of the chains
   * `cols`, then θ_f += step·(log b_f − log μ̂_f) with b_f this field's beliefs (the targets:
   * locally consistent, denoised) and μ̂_f the chains' counts of factor f (½ added to every cell).
   * Bethe beliefs are not the marginals of the field whose potentials produced them on a graph
   * with cycles; this moves the potentials so that the field Gibbs actually samples has them.
   * Returns the refined field and the chains (its sample). Cost per round: one sweep plus one
   * count per factor, O(n · Σ_f |f|·max size).
   */
  refine(cols: Int32Array[], rng: RandomSource, rounds: number, step = 0.5): { field: MarkovRandomField; rows: Int32Array[] } {
    const d = this.domain;
    const n = cols[0]?.length ?? 0;
    const theta = this.potentials.map((p) => Float64Array.from(p));
    let field: MarkovRandomField = new MarkovRandomField(d, this.cliques, theta, this.beliefs, this.total);
    let rows = cols;
    const logTarget = this.beliefs.map((b) => {
      let z = 0;
      for (const v of b) z += v;
      return Float64Array.from(b, (v) => Math.log(Math.max(v, 0) / z + 1e-12));
    });
    // Factors sharing a column all correct its 1-way discrepancy: each factor's step is divided by
    // the largest number of factors any of its columns is in, so the shared parts do not overshoot.
    const degree = new Map<string, number>();
    for (const c of this.cliques) for (const a of c) degree.set(a, (degree.get(a) ?? 0) + 1);
    const eta = this.cliques.map((c) => step / Math.max(...c.map((a) => degree.get(a) ?? 1)));
    for (let r = 0; r < rounds; r++) {
      rows = field.sample(n, rng, { init: rows, sweeps: 1 });
      this.cliques.forEach((c, i) => {
        const counts = new Float64Array(theta[i].length);
        const st = strides(d.shapeOf(c));
        const cc = c.map((a) => rows[d.indexOf(a)]);
        for (let k = 0; k < n; k++) {
          let cell = 0;
          for (let j = 0; j < cc.length; j++) cell += cc[j][k] * st[j];
          counts[cell]++;
        }
        const z = n + 0.5 * counts.length;
        const t = theta[i];
        const lt = logTarget[i];
        for (let k = 0; k < t.length; k++) t[k] += eta[i] * (lt[k] - Math.log((counts[k] + 0.5) / z + 1e-12));
      });
      field = new MarkovRandomField(d, this.cliques, theta, this.beliefs, this.total);
    }
    return { field, rows: field.sample(n, rng, { init: rows, sweeps: 1 }) };
  }

  private independentStart(n: number, rng: RandomSource): Int32Array[] {
    return this.domain.attrs.map((a, v) => {
      const p = this.project([a]);
      let z = 0;
      for (const x of p) z += x;
      const col = new Int32Array(n);
      for (let r = 0; r < n; r++) {
        let u = uniformFloat(rng) * z;
        let x = 0;
        while (x < this.domain.shape[v] - 1 && u >= p[x]) u -= p[x++];
        col[r] = x;
      }
      return col;
    });
  }
}

/**
 * Fits a MarkovRandomField to noisy marginals: Private-PGM's loss (noise-weighted L2, as
 * `estimate`) minimised by mirror descent with loopy belief propagation as the (approximate)
 * marginal oracle (McKenna, Sheldon & Miklau, ICML 2019, §5 "approximate inference"). No junction
 * tree: memory and time per iteration grow with Σ_f cells(f)·|f| over the maximal measured sets
 * (times the message sweeps), not with the triangulated model, so many more 2- and 3-way sets fit
 * than under a junction-tree size bound. Exact (the same fit as `estimate`) when the factor graph
 * has no cycles.
 */
export function estimateApproximate(domain: Domain, measurements: readonly Measurement[], opts: ApproximateEstimateOptions = {}): MarkovRandomField {
  validateMeasurements(domain, measurements);
  const oracle = new LoopyBeliefPropagator(domain, measurements.map((m) => m.attrs), opts.loopy);
  const total = opts.total ?? estimateTotal(domain, measurements);
  const loss = new MeasurementLoss(oracle, measurements);
  const theta = oracle.cliques.map((c) => new Float64Array(domain.size(c)));
  if (opts.warmStart !== undefined) {
    const w = opts.warmStart;
    w.cliques.forEach((c, j) => {
      const i = oracle.cliqueContaining(c);
      if (i < 0) return;
      const map = indexMap(domain, oracle.cliques[i], c);
      const t = theta[i];
      const v = w.potentials[j];
      for (let k = 0; k < t.length; k++) t[k] += v[map[k]];
    });
  }
  const fit = mirrorDescentOn(oracle, loss, theta, total, opts.iters ?? 1000, undefined);
  return new MarkovRandomField(domain, oracle.cliques, fit.potentials, fit.marginals, total);
}
