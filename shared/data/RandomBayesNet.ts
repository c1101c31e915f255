// RandomBayesNet: seeded random Bayesian networks over categorical columns and tables sampled from
// them — tables of known structure (planted parents) at any width, for tests and benchmarks.
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat, uniformInt } from '../dp/random/uniform.js';
import { Domain } from '../pgm/Domain.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';
import { EncodedTable, allocColumn } from './EncodedTable.js';
import { shuffleInPlace, standardNormal } from './simulationSamplers.js';

/** What to generate. Every field is validated; sizes and parents are drawn from `rng`. */
export interface RandomBayesNetSpec {
  /** Number of columns (>= 1), named c0, c1, ... (see `columnName`). */
  readonly columns: number;
  /**
   * Domain sizes: an explicit list (one per column, each >= 2), or an inclusive range
   * `[min, max]` from which each column's size is drawn uniformly.
   */
  readonly sizes: readonly number[] | { readonly min: number; readonly max: number };
  /** Maximum number of parents per column (>= 0); each non-root column draws 1..min(max, available). */
  readonly maxParents: number;
  /**
   * Dependence strength s >= 0: a column's conditional distribution given its parents is
   * softmax(b + s·Σ_p W_p[value of p]), with b and every W_p entry standard normal. s = 0 gives
   * independent columns; s around 1 gives clearly visible pairwise dependence.
   */
  readonly strength?: number;
}

/** A Bayesian network: the domain, a topological order, each column's parents, and its conditionals. */
export interface BayesNet {
  readonly domain: Domain;
  /** Column indices in a topological order (every parent comes before its child). */
  readonly order: readonly number[];
  /** parents[j]: the parent column indices of column j, ascending. */
  readonly parents: readonly (readonly number[])[];
  /** The conditional P(column j = v | parents = u) for a parent assignment u (codes in `parents[j]` order). */
  conditional(j: number, parentValues: readonly number[]): Float64Array;
}

const DEFAULT_STRENGTH = 1;
/** Conditionals are cached in full when (parent configurations × size) is at most this many numbers. */
const CACHE_CELLS = 1 << 20;

/** The name of column `j`: `c` followed by the index (c0, c1, ...). */
export function columnName(j: number): string {
  return `c${j}`;
}

/**
 * Draws a random Bayesian network: a uniformly random topological order; column at position t
 * gets k ~ Uniform{1..min(maxParents, t)} parents chosen uniformly among the columns before it
 * (position 0 is a root, as are all columns when maxParents = 0); log-linear conditionals with
 * standard-normal coefficients scaled by `strength`. Deterministic given `rng`.
 */
export function randomBayesNet(spec: RandomBayesNetSpec, rng: RandomSource): BayesNet {
  const d = spec.columns;
  if (!Number.isInteger(d) || d < 1) throw invalid(`columns must be a positive integer, got ${d}`);
  if (!Number.isInteger(spec.maxParents) || spec.maxParents < 0) throw invalid(`maxParents must be a non-negative integer, got ${spec.maxParents}`);
  const strength = spec.strength ?? DEFAULT_STRENGTH;
  if (!(strength >= 0) || !Number.isFinite(strength)) throw invalid(`strength must be a finite number >= 0, got ${strength}`);
  const shape = drawSizes(spec.sizes, d, rng);
  const order = shuffleInPlace(Array.from({ length: d }, (_, j) => j), rng);
  const parents: number[][] = Array.from({ length: d }, () => []);
  order.forEach((j, t) => {
    const limit = Math.min(spec.maxParents, t);
    if (limit === 0) return;
    const k = 1 + uniformInt(rng, limit);
    const earlier = shuffleInPlace(order.slice(0, t), rng);
    parents[j] = earlier.slice(0, k).sort((a, b) => a - b);
  });
  // Coefficients: bias b_j (size_j) and one matrix W_{j,p} (size_p x size_j) per parent, row-major.
  const bias = shape.map((s) => normals(s, rng));
  const weights = parents.map((ps, j) => ps.map((p) => normals(shape[p] * shape[j], rng)));
  const domain = new Domain(
    Array.from({ length: d }, (_, j) => columnName(j)),
    shape,
  );
  return new LogLinearNet(domain, order, parents, bias, weights, strength);
}

/**
 * Samples `rows` rows from `net` by ancestral sampling (each column drawn from its conditional
 * given the already drawn parents, inverse-CDF on a 53-bit uniform). Deterministic given `rng`.
 */
export function sampleBayesNet(net: BayesNet, rows: number, rng: RandomSource): EncodedTable {
  if (!Number.isInteger(rows) || rows < 0) throw invalid(`rows must be a non-negative integer, got ${rows}`);
  const { domain, order, parents } = net;
  const cols = domain.shape.map((s) => allocColumn(s, rows));
  const cdfs = domain.shape.map((_, j) => new ConditionalCdfCache(net, j));
  const pv: number[][] = parents.map((ps) => new Array<number>(ps.length));
  for (let i = 0; i < rows; i++) {
    for (const j of order) {
      const ps = parents[j];
      const u = pv[j];
      for (let k = 0; k < ps.length; k++) u[k] = cols[ps[k]][i];
      cols[j][i] = cdfs[j].draw(u, uniformFloat(rng));
    }
  }
  return new EncodedTable(domain, cols);
}

/** The network's structure as plain JSON (domain, order, parents by name), e.g. for a `structure.json`. */
export function bayesNetStructureJson(net: BayesNet): { domain: Record<string, number>; order: string[]; parents: Record<string, string[]> } {
  const names = net.domain.attrs;
  const parents: Record<string, string[]> = {};
  names.forEach((a, j) => {
    parents[a] = net.parents[j].map((p) => names[p]);
  });
  return { domain: net.domain.toJSON(), order: net.order.map((j) => names[j]), parents };
}

class LogLinearNet implements BayesNet {
  constructor(
    readonly domain: Domain,
    readonly order: readonly number[],
    readonly parents: readonly (readonly number[])[],
    private readonly bias: readonly Float64Array[],
    private readonly weights: readonly (readonly Float64Array[])[],
    private readonly strength: number,
  ) {}

  conditional(j: number, parentValues: readonly number[]): Float64Array {
    const size = this.domain.shape[j];
    const ps = this.parents[j];
    if (parentValues.length !== ps.length) throw invalid(`conditional: column ${j} has ${ps.length} parents, got ${parentValues.length} values`);
    const logits = Float64Array.from(this.bias[j]);
    ps.forEach((p, k) => {
      const v = parentValues[k];
      if (!Number.isInteger(v) || v < 0 || v >= this.domain.shape[p]) throw invalid(`conditional: value ${v} out of range for parent ${p}`);
      const w = this.weights[j][k];
      for (let x = 0; x < size; x++) logits[x] += this.strength * w[v * size + x];
    });
    let max = -Infinity;
    for (const l of logits) max = Math.max(max, l);
    let sum = 0;
    for (let x = 0; x < size; x++) {
      logits[x] = Math.exp(logits[x] - max);
      sum += logits[x];
    }
    for (let x = 0; x < size; x++) logits[x] /= sum;
    return logits;
  }
}

/** Cumulative conditionals of one column, computed once per parent configuration and kept. */
class ConditionalCdfCache {
  private readonly size: number;
  private readonly radix: readonly number[];
  private readonly full: (Float64Array | undefined)[] | null;
  private readonly sparse = new Map<number, Float64Array>();

  constructor(
    private readonly net: BayesNet,
    private readonly j: number,
  ) {
    const shape = net.domain.shape;
    this.size = shape[j];
    this.radix = net.parents[j].map((p) => shape[p]);
    const configs = this.radix.reduce((a, b) => a * b, 1);
    this.full = configs * this.size <= CACHE_CELLS ? new Array<Float64Array | undefined>(configs) : null;
  }

  draw(parentValues: readonly number[], u: number): number {
    let key = 0;
    for (let k = 0; k < this.radix.length; k++) key = key * this.radix[k] + parentValues[k];
    let cdf = this.full ? this.full[key] : this.sparse.get(key);
    if (cdf === undefined) {
      cdf = this.net.conditional(this.j, parentValues);
      for (let x = 1; x < this.size; x++) cdf[x] += cdf[x - 1];
      if (this.full) this.full[key] = cdf;
      else this.sparse.set(key, cdf);
    }
    // Inverse CDF; the last value absorbs rounding (cdf[size-1] may be 1 - 1e-16).
    for (let x = 0; x < this.size - 1; x++) if (u < cdf[x]) return x;
    return this.size - 1;
  }
}

function drawSizes(sizes: RandomBayesNetSpec['sizes'], d: number, rng: RandomSource): number[] {
  if (Array.isArray(sizes)) {
    const list = sizes as readonly number[];
    if (list.length !== d) throw invalid(`sizes lists ${list.length} sizes for ${d} columns`);
    for (const s of list) if (!Number.isInteger(s) || s < 2) throw invalid(`every domain size must be an integer >= 2, got ${s}`);
    return [...list];
  }
  const { min, max } = sizes as { readonly min: number; readonly max: number };
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 2 || max < min) throw invalid(`size range must be integers 2 <= min <= max, got ${min}..${max}`);
  return Array.from({ length: d }, () => min + uniformInt(rng, max - min + 1));
}

function normals(n: number, rng: RandomSource): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = standardNormal(rng);
  return out;
}

function invalid(message: string): FedsynthError {
  return new FedsynthError(ErrorCode.InvalidArgument, `RandomBayesNet: ${message}`);
}
