// _pairScores: on a generated table, the noiseless first-epoch AIM score of every pair (L1 distance
// of its counts from the independent product, less the sampling floor) by kind: planted edge,
// "near" (dependent only through a third column: a common neighbour in the network's skeleton), far.
import { fileURLToPath } from 'node:url';
import { benchBayesNet, loadBenchTable } from './_benchTables.js';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Per kind: count, score quantiles (10/25/50/75/90 %), and how many pairs have a positive gain
 * score − 0.5·sqrt(2/π)·sigma·cells (aimEpochs' noise term, denoising factor 0.5) at each sigma.
 */
export function pairScores(name: string, sigmas: readonly number[]): Record<string, unknown> {
  const t = loadBenchTable(name);
  const { net } = benchBayesNet(name);
  const d = t.domain.attrs.length;
  const n = t.rowCount;
  const sh = t.domain.shape;
  const adj = Array.from({ length: d }, () => new Set<number>());
  net.parents.forEach((ps, j) => ps.forEach((p) => (adj[p].add(j), adj[j].add(p))));
  const kinds: Record<string, { score: number; cells: number }[]> = { edge: [], near: [], far: [] };
  for (let a = 0; a < d; a++)
    for (let b = a + 1; b < d; b++) {
      const c = new Float64Array(sh[a] * sh[b]);
      const ca = new Float64Array(sh[a]);
      const cb = new Float64Array(sh[b]);
      for (let i = 0; i < n; i++) {
        c[t.columns[a][i] * sh[b] + t.columns[b][i]]++;
        ca[t.columns[a][i]]++;
        cb[t.columns[b][i]]++;
      }
      let score = 0;
      for (let x = 0; x < sh[a]; x++)
        for (let y = 0; y < sh[b]; y++) {
          const mean = (ca[x] * cb[y]) / n;
          // Less the expected |deviation| of a Poisson count of that mean (the sampling floor).
          score += Math.abs(c[x * sh[b] + y] - mean) - SQRT_2_OVER_PI * Math.sqrt(mean);
        }
      const kind = adj[a].has(b) ? 'edge' : [...adj[a]].some((x) => adj[b].has(x)) ? 'near' : 'far';
      kinds[kind].push({ score, cells: sh[a] * sh[b] });
    }
  const out: Record<string, unknown> = {};
  for (const [kind, list] of Object.entries(kinds)) {
    const v = list.map((r) => r.score).sort((x, y) => x - y);
    const q = (p: number): number => Math.round(v[Math.floor(p * (v.length - 1))]);
    out[kind] = {
      pairs: v.length,
      quantiles: [0.1, 0.25, 0.5, 0.75, 0.9].map(q),
      positiveGainAtSigma: Object.fromEntries(sigmas.map((s) => [s, list.filter((r) => r.score > 0.5 * SQRT_2_OVER_PI * s * r.cells).length])),
    };
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const name = process.argv[2] ?? 'gen:40:2-16:3:50000:1';
  console.log(JSON.stringify({ bench: 'pairScores', table: name, ...pairScores(name, [60, 107.6]) }));
}
