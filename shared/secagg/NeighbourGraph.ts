// NeighbourGraph: who masks with whom and who holds whose Shamir shares. The full graph is the
// original protocol; with `neighbours` = k it is the SecAgg+ sparse graph (Bell et al., CCS 2020).
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import type { RoundConfig } from './RoundConfig.js';

/** Each party's neighbours (never itself) and the Shamir threshold used inside a neighbourhood. */
export interface NeighbourGraph {
  readonly neighbours: ReadonlyMap<string, ReadonlySet<string>>;
  /** Threshold of the shares a party deals to itself and its neighbours. */
  readonly shareThreshold: number;
}

/**
 * Full graph: everyone is everyone's neighbour and the share threshold is t.
 * Sparse (SecAgg+): the parties are shuffled by a public PRG keyed by the round id (so every party
 * and the coordinator compute the same graph, and nobody picks it), placed on a ring, and each is
 * joined to ceil(k/2) parties on either side: a Harary graph with a random labelling, degree
 * 2*ceil(k/2) (k rounded up to even, capped at n-1). The share threshold scales t to the
 * neighbourhood size: max(2, ceil(t * (d+1) / n)), d the degree, so the fraction of a
 * neighbourhood needed to unmask matches the global fraction t/n.
 */
export function buildNeighbourGraph(config: RoundConfig): NeighbourGraph {
  const n = config.parties.length;
  const map = new Map<string, Set<string>>();
  for (const p of config.parties) map.set(p, new Set());
  if (config.neighbours === undefined || config.neighbours >= n - 1) {
    for (const p of config.parties) for (const q of config.parties) if (p !== q) map.get(p)!.add(q);
    return { neighbours: map, shareThreshold: config.threshold };
  }
  const order = [...config.parties];
  const rng = seededRandomSource(config.roundId, 'secagg/graph');
  for (let i = n - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const half = Math.ceil(config.neighbours / 2);
  for (let i = 0; i < n; i++) {
    for (let d = 1; d <= half; d++) {
      const a = order[i];
      const b = order[(i + d) % n];
      if (a !== b) {
        map.get(a)!.add(b);
        map.get(b)!.add(a);
      }
    }
  }
  let degree = 0;
  for (const s of map.values()) degree = Math.max(degree, s.size);
  const shareThreshold = Math.max(2, Math.min(degree + 1, Math.ceil((config.threshold * (degree + 1)) / n)));
  return { neighbours: map, shareThreshold };
}
