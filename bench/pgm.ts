// bench/pgm: the graphical-model engine on Adult — estimate() on 1-way + spanning-tree pairs +
// ~20 triples (noiseless counts), project() of all 3-way sets, sample(48842). JSON lines.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Domain } from '../shared/pgm/Domain.js';
import { estimate } from '../shared/pgm/Estimation.js';
import { hypotheticalModelSize } from '../shared/pgm/JunctionTree.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import type { Measurement } from '../shared/pgm/Measurement.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Junction-tree size bound for the chosen triples (cells; 8 bytes each). */
const FULL = process.env.BENCH_FULL === '1';
const MAX_CELLS = Number(process.env.BENCH_PGM_MAX_CELLS ?? (FULL ? 1_000_000 : 250_000));
const TRIPLES = 20;

function loadAdult(): { domain: Domain; cols: Int32Array[]; rows: number } {
  const domain = Domain.fromJson(JSON.parse(readFileSync(join(root, 'data/adult-domain.json'), 'utf8')) as Record<string, number>);
  const lines = readFileSync(join(root, 'data/adult.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const rows = lines.length - 1;
  const cols = domain.attrs.map(() => new Int32Array(rows));
  const pos = domain.attrs.map((a) => header.indexOf(a));
  for (let r = 0; r < rows; r++) {
    const f = lines[r + 1].split(',');
    for (let i = 0; i < pos.length; i++) cols[i][r] = Number(f[pos[i]]);
  }
  return { domain, cols, rows };
}

function count(domain: Domain, cols: Int32Array[], attrs: readonly string[]): Float64Array {
  const idx = attrs.map((a) => domain.indexOf(a));
  const out = new Float64Array(domain.size(attrs));
  const n = cols[0].length;
  for (let r = 0; r < n; r++) {
    let k = 0;
    for (const i of idx) k = k * domain.shape[i] + cols[i][r];
    out[k]++;
  }
  return out;
}

function mutualInformation(domain: Domain, cols: Int32Array[], a: string, b: string): number {
  const j = count(domain, cols, [a, b]);
  const sb = domain.sizeOf(b);
  const pa = count(domain, cols, [a]);
  const pb = count(domain, cols, [b]);
  const n = cols[0].length;
  let mi = 0;
  for (let k = 0; k < j.length; k++) {
    if (j[k] === 0) continue;
    const x = Math.floor(k / sb);
    const y = k % sb;
    mi += (j[k] / n) * Math.log((j[k] * n) / (pa[x] * pb[y]));
  }
  return mi;
}

/** Maximum-MI spanning tree (Kruskal), the structure MST measures. */
function spanningTree(domain: Domain, cols: Int32Array[]): [string, string][] {
  const a = domain.attrs;
  const cand: [number, string, string][] = [];
  for (let i = 0; i < a.length; i++) for (let j = i + 1; j < a.length; j++) cand.push([mutualInformation(domain, cols, a[i], a[j]), a[i], a[j]]);
  cand.sort((x, y) => y[0] - x[0]);
  const uf = new Map(a.map((x) => [x, x]));
  const find = (x: string): string => {
    while (uf.get(x) !== x) x = uf.get(x) as string;
    return x;
  };
  const out: [string, string][] = [];
  for (const [, x, y] of cand) {
    const rx = find(x);
    const ry = find(y);
    if (rx === ry) continue;
    uf.set(rx, ry);
    out.push([x, y]);
  }
  return out;
}

function subsets3(attrs: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < attrs.length; i++) for (let j = i + 1; j < attrs.length; j++) for (let k = j + 1; k < attrs.length; k++) out.push([attrs[i], attrs[j], attrs[k]]);
  return out;
}

/** The bench workload: Adult, its columns, and the measured attribute sets. */
export function adultWorkload(): { domain: Domain; cols: Int32Array[]; rows: number; attrSets: string[][]; triples: number } {
  const { domain, cols, rows } = loadAdult();
  const pairs = spanningTree(domain, cols);
  // Triples: spanning-tree paths of length two, by descending total MI, kept while the junction
  // tree stays under MAX_CELLS (as AIM's size bound would).
  const paths: { attrs: string[]; score: number }[] = [];
  for (const [x, y] of pairs) {
    for (const [u, v] of pairs) {
      if (u === x && v === y) continue;
      const shared = [u, v].filter((s) => s === x || s === y);
      if (shared.length !== 1) continue;
      const t = domain.canonical(new Set([x, y, u, v]));
      if (!paths.some((p) => p.attrs.join() === t.join())) paths.push({ attrs: t, score: mutualInformation(domain, cols, t[0], t[1]) + mutualInformation(domain, cols, t[1], t[2]) + mutualInformation(domain, cols, t[0], t[2]) });
    }
  }
  for (const t of subsets3(domain.attrs)) if (!paths.some((p) => p.attrs.join() === t.join())) paths.push({ attrs: t, score: -1 });
  paths.sort((p, q) => q.score - p.score);
  const base = [...domain.attrs.map((a) => [a]), ...pairs.map((p) => domain.canonical(p))];
  const triples: string[][] = [];
  for (const p of paths) {
    if (triples.length >= TRIPLES) break;
    if (hypotheticalModelSize(domain, [...base, ...triples, p.attrs]) <= MAX_CELLS) triples.push(p.attrs);
  }
  return { domain, cols, rows, attrSets: [...base, ...triples], triples: triples.length };
}

/** CPU seconds (user + system) since `c0`; the machine may be shared, so wall time is noisy. */
function cpuSeconds(c0: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const { domain, cols, rows, attrSets, triples } = adultWorkload();
  const ms: Measurement[] = attrSets.map((a) => ({ attrs: a, values: count(domain, cols, a), stddev: 1 }));
  const iters = Number(process.env.BENCH_PGM_ITERS ?? 1000);

  let t0 = performance.now();
  let c0 = process.cpuUsage();
  let loss = NaN;
  const model = estimate(domain, ms, { iters, total: rows, callback: (_t, l) => void (loss = l) });
  const fitS = (performance.now() - t0) / 1000;
  let l1 = 0;
  for (const m of ms) {
    const p = model.project(m.attrs);
    let e = 0;
    for (let k = 0; k < p.length; k++) e += Math.abs(p[k] - m.values[k]);
    l1 = Math.max(l1, e / (2 * rows));
  }
  emit({
    bench: 'pgm',
    op: 'estimate',
    iters,
    measurements: ms.length,
    triples,
    cliques: model.cliques.length,
    modelCells: model.tree.size(),
    largestClique: Math.max(...model.cliques.map((c) => domain.size(c))),
    seconds: fitS,
    cpuSeconds: cpuSeconds(c0),
    msPerIter: (fitS * 1000) / iters,
    finalLoss: loss,
    maxMeasuredTV: l1,
  });

  // By default only the 3-way sets AIM could still select (junction tree with the set added stays
  // within 4 x MAX_CELLS); BENCH_FULL=1 times all 364 (exact marginals of far-apart sets cost
  // up to ~1e9 multiply-adds each on this model).
  const all3 = subsets3(domain.attrs);
  const sets = FULL ? all3 : all3.filter((a) => hypotheticalModelSize(domain, [...model.cliques, a]) <= 4 * MAX_CELLS);
  t0 = performance.now();
  c0 = process.cpuUsage();
  let cells = 0;
  for (const a of sets) cells += model.project(a).length;
  const projS = (performance.now() - t0) / 1000;
  emit({ bench: 'pgm', op: 'project3way', sets: sets.length, of: all3.length, cells, seconds: projS, cpuSeconds: cpuSeconds(c0) });

  t0 = performance.now();
  c0 = process.cpuUsage();
  const sample = model.sample(rows, seededRandomSource('bench', 'coordinator/sample'));
  emit({ bench: 'pgm', op: 'sample', rows: sample[0].length, seconds: (performance.now() - t0) / 1000, cpuSeconds: cpuSeconds(c0) });
}

const isMain = process.env.BENCH_PGM_MAIN === '1' || /bench[\\/]pgm\.(ts|js)$/.test(process.argv[1] ?? '');
if (isMain) {
  await run((rec) => console.log(JSON.stringify(rec)));
}
