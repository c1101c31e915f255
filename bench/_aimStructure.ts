// _aimStructure: what a mechanism measured on a generated table, against the network's planted
// edges (parent–child pairs): edges covered by measured sets and by model cliques, budget by batch.
import type { Domain } from '../shared/pgm/Domain.js';
import type { Measurement } from '../shared/pgm/Measurement.js';
import type { BayesNet } from '../shared/data/RandomBayesNet.js';

/** One batch: consecutive measurements of one noise scale (one release of the epoch schedule). */
interface BatchFigures {
  sigma: number;
  sets: number;
  byWay: number[];
  cells: number;
  rho: number;
  /** Planted edges first covered by this batch. */
  newEdges: number;
  /** Measured sets of 2+ columns holding no planted edge. */
  edgeless: number;
  /** Of those, sets whose columns are pairwise at distance 2 in the network's skeleton (siblings, co-parents, grandparent): dependent through a third column. */
  edgelessNear: number;
}

/**
 * Planted edges (parent, child) covered by a measured set / a model clique, measured sets by size,
 * and each batch's noise, cells and rho (a marginal at sigma costs 1/(2·sigma²), sensitivity 1;
 * selection and probe: rho − the measurements' sum).
 */
export function structureFigures(net: BayesNet, domain: Domain, measurements: readonly Measurement[], cliques: readonly (readonly string[])[], rho: number): Record<string, unknown> {
  const names = domain.attrs;
  const edges = net.parents.flatMap((ps, j) => ps.map((p) => [names[p], names[j]] as const));
  const holds = (set: readonly string[], e: readonly [string, string]): boolean => set.includes(e[0]) && set.includes(e[1]);
  const covered = new Set<number>();
  const adj = names.map(() => new Set<string>());
  for (const [p, c] of edges) {
    adj[names.indexOf(p)].add(c);
    adj[names.indexOf(c)].add(p);
  }
  const near = (a: string, b: string): boolean => [...adj[names.indexOf(a)]].some((x) => adj[names.indexOf(b)].has(x));
  const allNear = (set: readonly string[]): boolean => set.every((a, i) => set.every((b, j) => j <= i || near(a, b) || adj[names.indexOf(a)].has(b)));
  const batches: BatchFigures[] = [];
  for (const m of measurements) {
    let b = batches[batches.length - 1];
    if (b === undefined || b.sigma !== m.stddev) batches.push((b = { sigma: m.stddev, sets: 0, byWay: [0, 0, 0, 0], cells: 0, rho: 0, newEdges: 0, edgeless: 0, edgelessNear: 0 }));
    b.sets++;
    b.byWay[Math.min(3, m.attrs.length)]++;
    b.cells += m.values.length;
    b.rho += 1 / (2 * m.stddev * m.stddev);
    let any = false;
    edges.forEach((e, k) => {
      if (!holds(m.attrs, e)) return;
      any = true;
      if (!covered.has(k)) {
        covered.add(k);
        b.newEdges++;
      }
    });
    if (!any && m.attrs.length > 1) {
      b.edgeless++;
      if (allNear(m.attrs)) b.edgelessNear++;
    }
  }
  const measuredRho = batches.reduce((a, b) => a + b.rho, 0);
  const r = (x: number, k: number): number => Math.round(x * 10 ** k) / 10 ** k;
  return {
    plantedEdges: edges.length,
    edgesMeasured: covered.size,
    edgesInCliques: edges.filter((e) => cliques.some((c) => holds(c, e))).length,
    measuredRhoShare: r(measuredRho / rho, 3),
    batches: batches.map((b) => ({ ...b, sigma: r(b.sigma, 1), rho: r(b.rho / rho, 3), byWay: b.byWay.slice(1) })),
  };
}
