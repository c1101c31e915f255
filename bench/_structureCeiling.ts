// bench/_structureCeiling: what a central mechanism that KNOWS a generated table's true parent sets
// reaches at a given eps (an upper reference for AIM, which must find them), scored as bench/width.
//
// Every variant spends the whole zCDP rho (rhoFromEpsilon(eps, 1e-9), as the mechanisms do) through
// the project's own release path (InProcessOracle, one party: the exact discrete Gaussian an agent
// draws, one release per measured set, charged to a PrivacyAccountant of exactly rho), then fits a
// Bayesian network on the TRUE structure and samples the table's row count from it by ancestral
// sampling in the network's topological order. Noiseless variants use the exact counts instead.
//
//   truth            the generator's own conditionals, fresh rows (no measurement; the ceiling of any model)
//   family/...       each non-root column's family marginal (child + all parents), each root's 1-way;
//                    per measurement the Private-PGM fit of a one-clique model (the L2 projection of the
//                    noisy counts onto {x >= 0, sum x = N}); P(child | parents) = the projected family
//                    table normalised per parent configuration (an empty configuration: the child's
//                    marginal from the same table)
//   family-pairs/... the same family measurements, summed over the other parents into (parent, child)
//                    tables, then fitted as pairs/... below
//   pairs/...        each (parent, child) pair and each root's 1-way; P(child | parents) =
//                    softmax(Σ_p W_p[x_p, ·]), the generator's own log-linear class, fitted by generalised
//                    iterative scaling (Darroch & Ratcliff 1972) on the already sampled synthetic parents
//                    to the targets n_syn(x_p) · P̂(child | x_p) from each projected pair table
//
// Budget split (zCDP composes additively, Bun & Steinke 2016, Lemma 2.3): 'equal' gives every
// measurement rho/m; 'cells' gives rho_i ∝ cells_i^(2/3) (sigma_i ∝ cells_i^(-1/3)), which minimises
// the total expected L1 error Σ_i cells_i · sigma_i of the measurements for a fixed rho.
//
// Run (after npm run build): CEILING_TABLE=gen:40:2-16:3:50000:1 [CEILING_EPS=1]
// [CEILING_VARIANTS=truth,family/equal,...; a suffix #k repeats one with other seeds, e.g. truth#2] node dist/bench/_structureCeiling.js
// One JSON line per variant: tv1/tv2/tv3, the gap closed (bench/width's 3,000 seeded triples and floors), CPU s.
import { fileURLToPath } from 'node:url';
import { seededRandomSource, type RandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformFloat } from '../shared/dp/random/uniform.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { PrivacyAccountant } from '../shared/dp/accounting/PrivacyAccountant.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { countMarginals } from '../shared/data/countMarginals.js';
import { sampleBayesNet, type BayesNet } from '../shared/data/RandomBayesNet.js';
import { InProcessOracle } from '../shared/synth/InProcessOracle.js';
import { estimateTotal } from '../shared/pgm/Estimation.js';
// Private-PGM's fit of a one-clique model to one measurement: the Euclidean projection onto the scaled simplex.
import { projectToSimplex } from '../shared/neural/consistentOneWays.js';
import type { Measurement } from '../shared/pgm/Measurement.js';
import { makeCodeTable, type CodeTable } from '../shared/eval/CodeTable.js';
import { benchBayesNet } from './_benchTables.js';
import { averageTv, columnSets, floors } from './width.js';

const DELTA = 1e-9;
const MAX_TRIPLES = 3000;
/** Generalised iterative scaling sweeps per column (each O(parent configurations · parents · |child|)). */
const GIS_ITERS = 300;
/** Conditional probabilities from measured tables are floored here before logs (then renormalised). */
const PROB_FLOOR = 1e-6;

type Measure = 'family' | 'family-pairs' | 'pairs';
type Split = 'equal' | 'cells' | 'noiseless';
const VARIANTS = ['truth', 'family/noiseless', 'family/equal', 'family/cells', 'family-pairs/equal', 'family-pairs/cells', 'pairs/noiseless', 'pairs/equal', 'pairs/cells'] as const;

/** One measured table: column indices ascending (the Measurement cell order), its cells, how many there are. */
interface Table {
  readonly cols: readonly number[];
  readonly values: Float64Array;
  readonly stddev: number;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The attribute sets a variant measures: a family (or its pairs) per non-root column, a 1-way per root; column indices ascending. */
function measuredSets(net: BayesNet, measure: Measure): number[][] {
  const out: number[][] = [];
  net.parents.forEach((ps, j) => {
    if (ps.length === 0) out.push([j]);
    else if (measure === 'pairs') for (const p of ps) out.push([p, j].sort((a, b) => a - b));
    else out.push([...ps, j].sort((a, b) => a - b));
  });
  return out;
}

/**
 * Measures `sets` on `table`: exact counts (noiseless), or one Gaussian release per set through the
 * project's oracle with rho split equally or ∝ cells^(2/3); the accountant must end at exactly rho.
 */
async function measureSets(table: EncodedTable, sets: readonly number[][], split: Split, rho: number, seed: string): Promise<{ tables: Table[]; total: number; sigmas: number[] }> {
  const domain = table.domain;
  const names = sets.map((s) => s.map((j) => domain.attrs[j]));
  if (split === 'noiseless') {
    const counts = countMarginals(table, domain, names);
    return { tables: sets.map((cols, i) => ({ cols, values: counts[i], stddev: 1 })), total: table.rowCount, sigmas: [] };
  }
  const accountant = new PrivacyAccountant(rho);
  const oracle = new InProcessOracle({ domain, parties: [new InMemoryMarginalSource(table)], seed, accountant });
  const weights = names.map((n) => (split === 'equal' ? 1 : Math.pow(domain.size(n), 2 / 3)));
  const wsum = weights.reduce((a, b) => a + b, 0);
  const ms: Measurement[] = [];
  for (let i = 0; i < names.length; i++) {
    const r = i === names.length - 1 ? accountant.remaining : (rho * weights[i]) / wsum;
    ms.push(...(await oracle.measure([names[i]], r, `ceiling/${i}`)));
  }
  if (Math.abs(accountant.spent.rho - rho) > 1e-12 * rho) throw new Error(`spent ${accountant.spent.rho} of ${rho}`);
  return { tables: sets.map((cols, i) => ({ cols, values: ms[i].values, stddev: ms[i].stddev })), total: estimateTotal(domain, ms), sigmas: ms.map((m) => m.stddev) };
}

/** Strides of each column of `cols` (ascending indices) in its table's row-major cell order. */
function strides(cols: readonly number[], shape: readonly number[]): number[] {
  const out = new Array<number>(cols.length);
  let s = 1;
  for (let k = cols.length - 1; k >= 0; k--) {
    out[k] = s;
    s *= shape[cols[k]];
  }
  return out;
}

/** The (parent, child) table [x_p * |child| + x_j] of a measured table holding both (summed over its other columns). */
function pairTable(t: Table, p: number, j: number, shape: readonly number[]): Float64Array {
  const st = strides(t.cols, shape);
  const kp = t.cols.indexOf(p);
  const kj = t.cols.indexOf(j);
  const sj = shape[j];
  const out = new Float64Array(shape[p] * sj);
  for (let c = 0; c < t.values.length; c++) {
    const xp = Math.floor(c / st[kp]) % shape[p];
    const xj = Math.floor(c / st[kj]) % sj;
    out[xp * sj + xj] += t.values[c];
  }
  return out;
}

/** Rows of a size-r × size-s table normalised to conditionals, floored at PROB_FLOOR; an empty row gets the column sums' distribution. */
function rowConditionals(tab: Float64Array, r: number, s: number): Float64Array {
  const marg = new Float64Array(s);
  for (let c = 0; c < tab.length; c++) marg[c % s] += tab[c];
  const out = new Float64Array(r * s);
  for (let x = 0; x < r; x++) {
    let sum = 0;
    for (let y = 0; y < s; y++) sum += tab[x * s + y];
    const src = sum > 0 ? tab.subarray(x * s, x * s + s) : marg;
    let z = 0;
    for (let y = 0; y < s; y++) z += Math.max(src[y], 0) + PROB_FLOOR * (sum > 0 ? sum : 1);
    for (let y = 0; y < s; y++) out[x * s + y] = (Math.max(src[y], 0) + PROB_FLOOR * (sum > 0 ? sum : 1)) / z;
  }
  return out;
}

/** The distinct parent configurations of the synthetic rows: a key per row, the configurations' values and counts. */
function parentConfigs(cols: readonly Int32Array[], parents: readonly number[], shape: readonly number[], n: number): { rowKey: Int32Array; configs: number[][]; counts: number[] } {
  const index = new Map<number, number>();
  const rowKey = new Int32Array(n);
  const configs: number[][] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    let key = 0;
    for (const p of parents) key = key * shape[p] + cols[p][i];
    let u = index.get(key);
    if (u === undefined) {
      u = configs.length;
      index.set(key, u);
      configs.push(parents.map((p) => cols[p][i]));
      counts.push(0);
    }
    counts[u]++;
    rowKey[i] = u;
  }
  return { rowKey, configs, counts };
}

/**
 * P(child | parents) = softmax(Σ_p W_p[x_p, ·]) fitted by generalised iterative scaling to the targets
 * T_p[x_p, y] = n_syn(x_p) · cond_p[x_p, y] over the synthetic parent configurations (each update
 * W_p += log(T_p / M_p) / #parents; the step 1/#parents is GIS's, every row has #parents active features).
 * Returns the conditional of each configuration (row-major: configuration × child value).
 */
function fitPairwiseConditional(cfg: { configs: number[][]; counts: number[] }, parents: readonly number[], conds: readonly Float64Array[], shape: readonly number[], sj: number): Float64Array {
  const k = parents.length;
  const U = cfg.configs.length;
  const W = parents.map((p) => new Float64Array(shape[p] * sj));
  const target = parents.map((p, a) => {
    const np = new Float64Array(shape[p]);
    cfg.configs.forEach((c, u) => (np[c[a]] += cfg.counts[u]));
    const t = new Float64Array(shape[p] * sj);
    for (let x = 0; x < shape[p]; x++) for (let y = 0; y < sj; y++) t[x * sj + y] = np[x] * conds[a][x * sj + y];
    return t;
  });
  const q = new Float64Array(U * sj);
  const model = parents.map((p) => new Float64Array(shape[p] * sj));
  const computeQ = (): void => {
    for (let u = 0; u < U; u++) {
      const c = cfg.configs[u];
      let max = -Infinity;
      for (let y = 0; y < sj; y++) {
        let l = 0;
        for (let a = 0; a < k; a++) l += W[a][c[a] * sj + y];
        q[u * sj + y] = l;
        if (l > max) max = l;
      }
      let z = 0;
      for (let y = 0; y < sj; y++) z += q[u * sj + y] = Math.exp(q[u * sj + y] - max);
      for (let y = 0; y < sj; y++) q[u * sj + y] /= z;
    }
  };
  for (let it = 0; it < GIS_ITERS; it++) {
    computeQ();
    for (const m of model) m.fill(0);
    for (let u = 0; u < U; u++) {
      const c = cfg.configs[u];
      for (let a = 0; a < k; a++) for (let y = 0; y < sj; y++) model[a][c[a] * sj + y] += cfg.counts[u] * q[u * sj + y];
    }
    let moved = 0;
    for (let a = 0; a < k; a++)
      for (let i = 0; i < W[a].length; i++) {
        if (model[a][i] <= 0 || target[a][i] <= 0) continue; // a parent value no synthetic row holds
        const step = Math.log(target[a][i] / model[a][i]) / k;
        W[a][i] += step;
        moved = Math.max(moved, Math.abs(step));
      }
    if (moved < 1e-9) break;
  }
  computeQ();
  return q;
}

/** Draws each row's child value from its configuration's conditional (row-major: configuration × value). */
function drawChild(rowKey: Int32Array, q: Float64Array, sj: number, rng: RandomSource): Int32Array {
  const out = new Int32Array(rowKey.length);
  for (let i = 0; i < rowKey.length; i++) {
    const base = rowKey[i] * sj;
    let u = uniformFloat(rng);
    let y = 0;
    for (; y < sj - 1; y++) {
      u -= q[base + y];
      if (u < 0) break;
    }
    out[i] = y;
  }
  return out;
}

/** Fits the variant's network on the measured tables and samples `n` rows in topological order. */
function fitAndSample(net: BayesNet, measure: Measure, tables: readonly Table[], total: number, n: number, rng: RandomSource): Int32Array[] {
  const shape = net.domain.shape;
  const fitted = tables.map((t) => ({ ...t, values: projectToSimplex(t.values, total) }));
  const cols: Int32Array[] = new Array<Int32Array>(shape.length);
  // family and family-pairs: one table per column; pairs: one per (parent, child) and root.
  const byChild = new Map<number, Table[]>();
  const rawByChild = new Map<number, Table>();
  let ti = 0;
  net.parents.forEach((ps, j) => {
    const count = ps.length === 0 || measure !== 'pairs' ? 1 : ps.length;
    byChild.set(j, fitted.slice(ti, ti + count));
    rawByChild.set(j, tables[ti]);
    ti += count;
  });
  for (const j of net.order) {
    const ps = net.parents[j];
    const sj = shape[j];
    const own = byChild.get(j) as Table[];
    const cfg = parentConfigs(cols, ps, shape, n);
    let q: Float64Array;
    if (ps.length === 0) {
      q = rowConditionals(own[0].values, 1, sj);
    } else if (measure === 'family') {
      // The projected family table normalised per parent configuration.
      const t = own[0];
      const st = strides(t.cols, shape);
      const kj = t.cols.indexOf(j);
      const gathered = new Float64Array(cfg.configs.length * sj);
      cfg.configs.forEach((c, u) => {
        let base = 0;
        ps.forEach((p, a) => (base += c[a] * st[t.cols.indexOf(p)]));
        for (let y = 0; y < sj; y++) gathered[u * sj + y] = t.values[base + y * st[kj]];
      });
      const marg = new Float64Array(sj);
      for (let c = 0; c < t.values.length; c++) marg[Math.floor(c / st[kj]) % sj] += t.values[c];
      q = rowConditionals(gathered, cfg.configs.length, sj);
      // rowConditionals falls back to the gathered rows' own sums; use the whole table's child marginal instead.
      cfg.configs.forEach((_, u) => {
        let s = 0;
        for (let y = 0; y < sj; y++) s += gathered[u * sj + y];
        if (s <= 0) q.set(rowConditionals(marg, 1, sj), u * sj);
      });
    } else {
      const pairTabs = ps.map((p, a) => (measure === 'pairs' ? pairTable(own[a], p, j, shape) : projectToSimplex(pairTable(rawByChild.get(j) as Table, p, j, shape), total)));
      const conds = ps.map((p, a) => rowConditionals(pairTabs[a], shape[p], sj));
      q = fitPairwiseConditional(cfg, ps, conds, shape, sj);
    }
    cols[j] = drawChild(cfg.rowKey, q, sj, rng);
  }
  return cols;
}

async function main(): Promise<void> {
  const name = process.env.CEILING_TABLE ?? 'gen:40:2-16:3:50000:1';
  const eps = Number(process.env.CEILING_EPS ?? '1');
  const wanted = (process.env.CEILING_VARIANTS ?? VARIANTS.join(',')).split(',').filter((v) => v !== '');
  const { net, rows, seed } = benchBayesNet(name);
  const table = sampleBayesNet(net, rows, seededRandomSource(seed, 'bayesnet/rows'));
  const domain = table.domain;
  const d = domain.attrs.length;
  const rho = rhoFromEpsilon(eps, DELTA);
  // Scoring exactly as bench/width: its seeded sets (all 1- and 2-ways, 3,000 sampled triples) and floors.
  const code = (data: readonly ArrayLike<number>[]): CodeTable => makeCodeTable(domain.attrs, domain.shape, data.map((c) => Int32Array.from(c)));
  const real = code(table.columns);
  const sets = [1, 2, 3].map((k) => columnSets(d, k, k === 3 ? MAX_TRIPLES : Infinity, 'width'));
  const tv = (data: readonly ArrayLike<number>[]): number[] => sets.map((s) => averageTv(real, code(data), s));
  const f = floors(table, seed);
  const [indep, boot] = [tv(f.independent), tv(f.bootstrap)];
  const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
  const families = net.parents.filter((p) => p.length > 0).length;
  console.log(JSON.stringify({ bench: 'structureCeiling', table: name, columns: d, rows, eps, delta: DELTA, rho, families, edges: net.parents.reduce((a, p) => a + p.length, 0), independentTv: indep.map(r4), bootstrapTv: boot.map(r4) }));
  for (const variant of wanted) {
    const cpu0 = cpuSeconds();
    const rng = seededRandomSource(seed, `bench/structureCeiling/${variant}/sample`);
    let cols: Int32Array[];
    let extra: Record<string, unknown> = {};
    // A suffix #k (e.g. truth#2) repeats a variant with another sampling stream (and noise seed).
    const base = variant.split('#')[0];
    if (base === 'truth') {
      cols = sampleBayesNet(net, rows, rng).columns.map((c) => Int32Array.from(c));
    } else {
      const [measure, split] = base.split('/') as [Measure, Split];
      if (!['family', 'family-pairs', 'pairs'].includes(measure) || !['equal', 'cells', 'noiseless'].includes(split)) throw new Error(`unknown variant ${variant}`);
      const msets = measuredSets(net, measure);
      const m = await measureSets(table, msets, split, rho, `${seed}/${variant}`);
      cols = fitAndSample(net, measure, m.tables, m.total, rows, rng);
      const cells = msets.map((s) => s.reduce((a, j) => a * domain.shape[j], 1));
      extra = {
        measured: msets.length,
        measuredCells: cells.reduce((a, b) => a + b, 0),
        largestCells: Math.max(...cells),
        ...(m.sigmas.length > 0 ? { sigmaMin: r4(Math.min(...m.sigmas)), sigmaMax: r4(Math.max(...m.sigmas)) } : {}),
      };
    }
    const fitCpu = cpuSeconds() - cpu0;
    const s = tv(cols);
    console.log(
      JSON.stringify({
        bench: 'structureCeiling',
        table: name,
        variant,
        ...extra,
        tv1: r4(s[0]),
        tv2: r4(s[1]),
        tv3: r4(s[2]),
        gapClosed: r4((indep[2] - s[2]) / (indep[2] - boot[2])),
        cpuSeconds: Math.round(fitCpu * 10) / 10,
        scoreCpuSeconds: Math.round((cpuSeconds() - cpu0 - fitCpu) * 10) / 10,
      }),
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
