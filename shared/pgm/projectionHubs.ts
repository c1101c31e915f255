// projectionHubs: unmeasured attribute sets through which a clique's measured marginals are projected
// (clique → hub → marginals, and gradients back the same way), so fewer passes run over the clique.
import type { Domain } from './Domain.js';

/** Most top-level sets of one clique the greedy search considers (its cost grows like m³ per hub). */
const MAX_SETS = 40;

/**
 * Hubs for one clique: attribute sets H ⊊ `clique`, each the union of two or more of `sets` (the
 * clique's top-level measured sets, canonical) or of earlier hubs. Projecting the clique onto H
 * once and every set inside H from H visits (k − 1)·|C| − k·|H| fewer cells than projecting the k
 * sets from the clique (|·|: cell counts), and the gradient gather saves as many. Greedy: the pair
 * union with the largest positive saving first (ties: the first pair in `sets` order), the sets it
 * contains replaced by it, until no union saves; at most MAX_SETS sets are merged, cliques of more
 * than 30 attributes get none. The fitted model is the same function of the measurements; only
 * the order of floating-point additions changes. Canonical hubs, in the order found.
 */
export function projectionHubs(domain: Domain, clique: readonly string[], sets: readonly (readonly string[])[]): string[][] {
  if (clique.length > 30) return [];
  const full = domain.size(clique);
  const shape = domain.shapeOf(clique);
  const maskOf = (attrs: readonly string[]): number => attrs.reduce((m, a) => m | (1 << clique.indexOf(a)), 0);
  const cellsOf = (mask: number): number => {
    let n = 1;
    for (let i = 0; i < shape.length; i++) if ((mask >>> i) & 1) n *= shape[i];
    return n;
  };
  const all = (1 << clique.length) - 1;
  let tops = sets.slice(0, MAX_SETS).map(maskOf);
  const hubs: string[][] = [];
  for (;;) {
    let best = 0;
    let bestSaving = 0;
    for (let i = 0; i < tops.length; i++) {
      for (let j = i + 1; j < tops.length; j++) {
        const u = tops[i] | tops[j];
        if (u === all) continue;
        let k = 0;
        for (const t of tops) if ((t & ~u) === 0) k++;
        const saving = (k - 1) * full - k * cellsOf(u);
        if (saving > bestSaving) {
          bestSaving = saving;
          best = u;
        }
      }
    }
    if (bestSaving <= 0) return hubs;
    const hub = best;
    hubs.push(clique.filter((_, i) => (hub >>> i) & 1));
    tops = [hub, ...tops.filter((t) => (t & ~hub) !== 0)];
  }
}
