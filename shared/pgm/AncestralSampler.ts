// AncestralSampler: exact sampling of rows from calibrated junction-tree marginals, root first,
// each clique's new attributes drawn given its separator; optional evidence on columns.
import type { JunctionTree } from './JunctionTree.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat, uniformInt } from '../dp/random/uniform.js';
import { buildIndexMap, indexMap } from './IndexMap.js';
import { sumInto } from './Factor.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** Fixed codes of some columns: rows are drawn from the model conditioned on them. */
export type Evidence = Readonly<Record<string, number>>;

/**
 * 'systematic' (default): within every group of rows sharing a separator value, the n_s rows get
 * the values at positions (u + j)/n_s of the conditional's cumulative distribution (one uniform u
 * per group) in a uniformly shuffled order, so every row is still an exact draw from p(x_rest | s),
 * but each value's count in the group is floor or ceil of n_s·p (randomised systematic sampling;
 * the variance reduction Private-PGM's reference sampler gets by rounding counts).
 * 'independent': every row drawn on its own (multinomial counts).
 */
export type SampleMethod = 'systematic' | 'independent';

/** Index of the first entry of cum[lo, hi) greater than u (cum non-decreasing). */
function search(cum: Float64Array, lo: number, hi: number, u: number): number {
  let a = lo;
  let b = hi - 1;
  while (a < b) {
    const mid = (a + b) >>> 1;
    if (cum[mid] > u) b = mid;
    else a = mid + 1;
  }
  return a;
}

/**
 * Draws `n` rows from p(x) = mu_root · prod_c mu_c / mu_sep(c) (the junction-tree factorisation
 * of calibrated marginals). With evidence e, a collect pass first computes for each clique c the
 * likelihood h_c(sep) = sum_{c \ sep} [mu_c · 1_e · prod_children h] / mu_sep, so the rows are
 * exact draws from p(x | e). Returns one Int32Array column per domain attribute (domain order).
 */
export function ancestralSample(
  tree: JunctionTree,
  marginals: readonly Float64Array[],
  n: number,
  rng: RandomSource,
  evidence: Evidence = {},
  method: SampleMethod = 'systematic',
): Int32Array[] {
  const d = tree.domain;
  if (!Number.isInteger(n) || n < 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'sample: n must be a non-negative integer', { n });
  for (const [a, v] of Object.entries(evidence)) {
    if (!d.has(a)) throw new FedsynthError(ErrorCode.InvalidArgument, `sample: unknown evidence column ${a}`, { attr: a });
    if (!Number.isInteger(v) || v < 0 || v >= d.sizeOf(a)) {
      throw new FedsynthError(ErrorCode.InvalidArgument, `sample: evidence code out of range for ${a}`, { attr: a, code: v });
    }
  }
  const m = tree.cliques.length;
  // Sampling tables g_c (un-normalised within each separator slice).
  let g: Float64Array[] = marginals as Float64Array[];
  if (Object.keys(evidence).length > 0) {
    g = new Array<Float64Array>(m);
    for (let h = m - 1; h >= 0; h--) {
      const i = tree.order[h];
      const c = tree.cliques[i];
      const t = marginals[i].slice();
      for (const a of c) {
        const code = evidence[a];
        if (code === undefined) continue;
        const map = indexMap(d, c, [a]);
        for (let k = 0; k < t.length; k++) if (map[k] !== code) t[k] = 0;
      }
      for (const ch of tree.children[i]) {
        const sep = tree.separator[ch];
        const map = indexMap(d, c, sep);
        const lik = likelihood(g[ch], marginals[ch], indexMap(d, tree.cliques[ch], sep), d.size(sep));
        for (let k = 0; k < t.length; k++) t[k] *= lik[map[k]];
      }
      g[i] = t;
    }
  }
  const cols = d.attrs.map(() => new Int32Array(n));
  // Per-row scratch shared by every clique of this call (each clique overwrites it whole): two n-row
  // arrays per clique were ~40 MB of garbage per 65,536-row chunk at 40 columns.
  const sepOf = new Int32Array(n);
  const rows = method === 'independent' ? sepOf : new Int32Array(n);
  for (const i of tree.order) {
    const c = tree.cliques[i];
    const sep = tree.separator[i];
    const rest = c.filter((a) => !sep.includes(a));
    if (rest.length === 0) continue;
    const restShape = d.shapeOf(rest);
    const R = d.size(rest);
    const S = d.size(sep);
    const perm = buildIndexMap(d, [...sep, ...rest], c);
    const cum = new Float64Array(S * R);
    const table = g[i];
    for (let s = 0; s < S; s++) {
      let acc = 0;
      for (let r = 0; r < R; r++) {
        const v = table[perm[s * R + r]];
        acc += v > 0 ? v : 0;
        cum[s * R + r] = acc;
      }
    }
    const sepCols = sep.map((a) => cols[d.indexOf(a)]);
    const sepShape = d.shapeOf(sep);
    const restCols = rest.map((a) => cols[d.indexOf(a)]);
    for (let row = 0; row < n; row++) {
      let s = 0;
      for (let j = 0; j < sepCols.length; j++) s = s * sepShape[j] + sepCols[j][row];
      if (!(cum[s * R + R - 1] > 0)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, 'sample: the evidence has zero probability under the model', { evidence: { ...evidence } });
      }
      sepOf[row] = s;
    }
    const put = (row: number, r: number): void => {
      for (let j = restCols.length - 1; j >= 0; j--) {
        const sz = restShape[j];
        restCols[j][row] = r % sz;
        r = (r - (r % sz)) / sz;
      }
    };
    if (method === 'independent') {
      for (let row = 0; row < n; row++) {
        const lo = sepOf[row] * R;
        put(row, search(cum, lo, lo + R, uniformFloat(rng) * cum[lo + R - 1]) - lo);
      }
      continue;
    }
    // Rows grouped by separator value (counting sort), each group shuffled (Fisher-Yates).
    const start = new Int32Array(S + 1);
    for (let row = 0; row < n; row++) start[sepOf[row] + 1]++;
    for (let s = 0; s < S; s++) start[s + 1] += start[s];
    const fill = start.slice(0, S);
    for (let row = 0; row < n; row++) rows[fill[sepOf[row]]++] = row;
    for (let s = 0; s < S; s++) {
      const a = start[s];
      const ns = start[s + 1] - a;
      if (ns === 0) continue;
      for (let j = ns - 1; j > 0; j--) {
        const k = uniformInt(rng, j + 1);
        const t = rows[a + j];
        rows[a + j] = rows[a + k];
        rows[a + k] = t;
      }
      const lo = s * R;
      const tot = cum[lo + R - 1];
      const u = uniformFloat(rng);
      for (let j = 0; j < ns; j++) put(rows[a + j], search(cum, lo, lo + R, ((u + j) / ns) * tot) - lo);
    }
  }
  return cols;
}

/** h(sep) = sum_{c \ sep} table / mu_sep with 0/0 = 0. */
function likelihood(table: Float64Array, mu: Float64Array, map: Int32Array, S: number): Float64Array {
  const num = new Float64Array(S);
  const den = new Float64Array(S);
  sumInto(table, map, num);
  sumInto(mu, map, den);
  for (let s = 0; s < S; s++) num[s] = den[s] > 0 ? num[s] / den[s] : 0;
  return num;
}
