// GraphicalModel: a fitted Private-PGM model — junction tree, log-potentials, total — answering
// marginal queries over any attribute set, sampling rows, and serialising to model.json.
import type { Domain } from './Domain.js';
import { Domain as DomainClass } from './Domain.js';
import { Factor, conditionalValues, sumInto } from './Factor.js';
import { CliqueVector } from './CliqueVector.js';
import { JunctionTree } from './JunctionTree.js';
import { BeliefPropagator, potentialsFromMarginals, potentialsOnTree } from './BeliefPropagation.js';
import type { ModelSnapshot } from './ModelSnapshot.js';
import { indexMap } from './IndexMap.js';
import { variableElimination } from './VariableElimination.js';
import { AnchoredProjection } from './AnchoredProjection.js';
import { ancestralSample, type Evidence, type SampleMethod } from './AncestralSampler.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** model.json: potentials as base64 of little-endian Float64 arrays, one per clique. */
export interface GraphicalModelJson {
  format: 'fedsynth-pgm/v1';
  domain: Record<string, number>;
  total: number;
  cliques: string[][];
  potentials: string[];
}

export interface SampleOptions {
  /** Draw from the model conditioned on these column codes. */
  where?: Evidence;
  /** Row sampler (default 'systematic': exact per row, low-variance counts; see AncestralSampler). */
  method?: SampleMethod;
}

function encodeFloat64(v: Float64Array): string {
  const buf = Buffer.alloc(v.length * 8);
  for (let k = 0; k < v.length; k++) buf.writeDoubleLE(v[k], k * 8);
  return buf.toString('base64');
}

function decodeFloat64(s: string, n: number): Float64Array {
  const buf = Buffer.from(s, 'base64');
  if (buf.length !== n * 8) throw new FedsynthError(ErrorCode.InvalidData, 'model.json: potential has the wrong length', { expected: n, bytes: buf.length });
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = buf.readDoubleLE(k * 8);
  return out;
}

/**
 * The distribution p(x) ∝ exp(sum_c theta_c(x_c)) over the junction tree's cliques, scaled to
 * `total` records. Calibrated clique marginals are computed once (belief propagation) and kept.
 */
export class GraphicalModel {
  readonly domain: Domain;
  readonly tree: JunctionTree;
  /** Log-potentials, one per tree clique (same order as `tree.cliques`). */
  readonly potentials: CliqueVector;
  readonly total: number;
  private cachedMarginals: CliqueVector | undefined;
  private readonly conditionals = new Map<number, Factor>();
  private readonly anchored = new Map<string, AnchoredProjection>();

  constructor(domain: Domain, tree: JunctionTree, potentials: CliqueVector, total: number, marginals?: CliqueVector) {
    if (!(total > 0) || !Number.isFinite(total)) throw new FedsynthError(ErrorCode.InvalidArgument, 'GraphicalModel: total must be positive', { total });
    this.domain = domain;
    this.tree = tree;
    const onTree = tree.cliques.every((c, i) => potentials.factors[i]?.attrs.join('\u0001') === c.join('\u0001'));
    this.potentials = onTree
      ? potentials
      : new CliqueVector(potentialsOnTree(tree, potentials).map((v, i) => new Factor(domain, tree.cliques[i], v)));
    this.total = total;
    this.cachedMarginals = marginals;
  }

  /** A model from log-potentials on arbitrary cliques (each must fit in the tree built from them). */
  static fromPotentials(domain: Domain, potentials: CliqueVector, total: number): GraphicalModel {
    const tree = JunctionTree.build(domain, potentials.cliques);
    return new GraphicalModel(domain, tree, potentials, total);
  }

  /** The maximal cliques of the model (junction-tree cliques). */
  get cliques(): readonly (readonly string[])[] {
    return this.tree.cliques;
  }

  /** Calibrated clique marginals (counts summing to `total`), computed on first use. */
  get marginals(): CliqueVector {
    if (this.cachedMarginals === undefined) {
      const out = this.tree.cliques.map((c) => new Float64Array(this.domain.size(c)));
      new BeliefPropagator(this.tree).run(
        this.potentials.factors.map((f) => f.values),
        this.total,
        out,
      );
      this.cachedMarginals = new CliqueVector(out.map((v, i) => new Factor(this.domain, this.tree.cliques[i], v)));
    }
    return this.cachedMarginals;
  }

  /**
   * Marginal counts over `attrs` (any order; result in canonical order, row-major), summing to
   * `total`. Inside one clique it is a sum of the clique marginal; otherwise variable elimination
   * runs on the smallest subtree covering `attrs`, whose marginals factorise as
   * mu_top · prod_c mu_c / mu_sep(c).
   */
  project(attrs: readonly string[], anchor?: string): Float64Array {
    return this.marginal(attrs, anchor).values;
  }

  /**
   * `project` as a Factor. With an `anchor` among `attrs` (a column that many queries share, e.g.
   * AIM's conditioning column), the path from the rest of `attrs` to the anchor's clique is
   * replaced by a cached message (AnchoredProjection): the same marginal up to rounding.
   */
  marginal(attrs: readonly string[], anchor?: string): Factor {
    const target = this.domain.canonical(attrs);
    const mus = this.marginals.factors;
    const i = this.tree.cliqueContaining(target);
    if (i >= 0) {
      const out = new Float64Array(this.domain.size(target));
      sumInto(mus[i].values, indexMap(this.domain, this.tree.cliques[i], target), out);
      return new Factor(this.domain, target, out);
    }
    if (anchor !== undefined && target.includes(anchor)) {
      let a = this.anchored.get(anchor);
      if (a === undefined) {
        a = new AnchoredProjection(this.tree, mus, anchor);
        this.anchored.set(anchor, a);
      }
      const f = a.marginal(target);
      if (f !== undefined) return f;
    }
    const nodes = this.tree.coveringSubtree(target);
    const factors: Factor[] = [];
    for (const c of nodes) {
      if (c === nodes[0]) factors.push(mus[c]);
      else factors.push(this.conditional(c));
    }
    return variableElimination(this.domain, factors, target);
  }

  /**
   * `n` rows, each an exact draw from the model (ancestral sampling along the junction tree; by
   * default with systematic, low-variance counts), as one Int32Array column per domain attribute
   * in domain order. `where` conditions on column codes.
   */
  sample(n: number, rng: RandomSource, opts: SampleOptions = {}): Int32Array[] {
    return ancestralSample(
      this.tree,
      this.marginals.factors.map((f) => f.values),
      n,
      rng,
      opts.where ?? {},
      opts.method ?? 'systematic',
    );
  }

  toJSON(): GraphicalModelJson {
    return {
      format: 'fedsynth-pgm/v1',
      domain: this.domain.toJSON(),
      total: this.total,
      cliques: this.tree.cliques.map((c) => [...c]),
      potentials: this.potentials.factors.map((f) => encodeFloat64(f.values)),
    };
  }

  static fromJSON(json: GraphicalModelJson): GraphicalModel {
    if (json === null || typeof json !== 'object' || json.format !== 'fedsynth-pgm/v1') {
      throw new FedsynthError(ErrorCode.InvalidData, 'model.json: unknown format');
    }
    if (!Array.isArray(json.cliques) || !Array.isArray(json.potentials) || json.cliques.length !== json.potentials.length) {
      throw new FedsynthError(ErrorCode.InvalidData, 'model.json: cliques and potentials differ');
    }
    const domain = DomainClass.fromJson(json.domain);
    const factors = json.cliques.map((c, i) => {
      const attrs = domain.canonical(c);
      return new Factor(domain, attrs, decodeFloat64(json.potentials[i], domain.size(attrs)));
    });
    return GraphicalModel.fromPotentials(domain, new CliqueVector(factors), json.total);
  }

  /** The tree and calibrated marginals a party needs to answer `project` exactly as this model does. */
  snapshot(): ModelSnapshot {
    return {
      cliques: this.tree.cliques.map((c) => [...c]),
      edges: this.tree.edges.map(([a, b]) => [a, b] as [number, number]),
      total: this.total,
      marginals: this.marginals.factors.map((f) => f.values),
    };
  }

  /**
   * The model of a snapshot: same tree, same calibrated marginals, so `project` returns the same
   * numbers bit for bit as the model the snapshot was taken of (its potentials are the tree
   * projection log mu_c − log mu_sep(c), used only for sampling). Refuses (InvalidData) a
   * malformed tree and marginals of the wrong length, negative, or not finite.
   */
  static fromSnapshot(domain: Domain, s: ModelSnapshot): GraphicalModel {
    const tree = JunctionTree.fromStructure(domain, s.cliques, s.edges);
    if (!(s.total > 0) || !Number.isFinite(s.total)) throw new FedsynthError(ErrorCode.InvalidData, 'model snapshot: total must be positive and finite');
    if (s.marginals.length !== tree.cliques.length) throw new FedsynthError(ErrorCode.InvalidData, 'model snapshot: one marginal per clique required');
    tree.cliques.forEach((c, i) => {
      const v = s.marginals[i];
      if (!(v instanceof Float64Array) || v.length !== domain.size(c)) throw new FedsynthError(ErrorCode.InvalidData, `model snapshot: marginal ${i} must have ${domain.size(c)} cells`);
      for (let k = 0; k < v.length; k++) if (!(v[k] >= 0) || v[k] === Infinity) throw new FedsynthError(ErrorCode.InvalidData, `model snapshot: marginal ${i} must be finite and non-negative`);
    });
    const pots = potentialsFromMarginals(tree, s.marginals);
    const factor = (vals: readonly Float64Array[]) => new CliqueVector(tree.cliques.map((c, i) => new Factor(domain, c, vals[i])));
    return new GraphicalModel(domain, tree, factor(pots), s.total, factor(s.marginals));
  }

  /** mu_c / mu_sep(c) for a non-root clique (0/0 = 0), cached. */
  private conditional(c: number): Factor {
    const hit = this.conditionals.get(c);
    if (hit !== undefined) return hit;
    const d = this.domain;
    const out = conditionalValues(d, this.tree.cliques[c], this.tree.separator[c], this.marginals.factors[c].values);
    const f = new Factor(d, this.tree.cliques[c], out);
    this.conditionals.set(c, f);
    return f;
  }
}
