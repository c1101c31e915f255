// projectionHubs: unmeasured attribute sets through which a clique's measured marginals are projected
// (clique → hub → marginals, and gradients back the same way), so fewer passes run over the clique.
import type { Domain } from './Domain.js';

/** Most top-level sets of one clique the greedy search considers (its cost grows like m⁴). */
const MAX_SETS = 40;

/**
 * Hubs for one clique: attribute sets H ⊊ `clique`, each the union of two or more of `sets` (the
 * clique's top-level measured sets, canonical) or of earlier hubs. Projecting the clique onto H
 * once and every set inside H from H visits (k − 1)·|C| − k·|H| fewer cells than projecting the k
 * sets from the clique (|·|: cell counts), and the gradient gather saves as many. Greedy: the pair
 * union with the largest positive saving first (ties: the first pair in `sets` order), the sets it
 * contains replaced by it, until no union saves; at most MAX_SETS sets are merged. The fitted
 * model is the same function of the measurements; only the order of floating-point additions
 * changes. Canonical hubs, in the order found.
 */
export function projectionHubs(domain: Domain, clique: readonly string[], sets: readonly (readonly string[])[]): string[][] {
  const full = domain.size(clique);
  let tops: (readonly string[])[] = sets.slice(0, MAX_SETS);
  const hubs: string[][] = [];
  const inside = (s: readonly string[], u: readonly string[]): boolean => s.every((a) => u.includes(a));
  for (;;) {
    let best: string[] | undefined;
    let bestSaving = 0;
    for (let i = 0; i < tops.length; i++) {
      for (let j = i + 1; j < tops.length; j++) {
        const u = domain.canonical([...new Set([...tops[i], ...tops[j]])]);
        if (u.length >= clique.length) continue;
        const cells = domain.size(u);
        let k = 0;
        for (const t of tops) if (inside(t, u)) k++;
        const saving = (k - 1) * full - k * cells;
        if (saving > bestSaving) {
          bestSaving = saving;
          best = u;
        }
      }
    }
    if (best === undefined) return hubs;
    const hub = best;
    hubs.push(hub);
    tops = [hub, ...tops.filter((t) => !inside(t, hub))];
  }
}
