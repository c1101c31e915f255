// AimCandidates: AIM's workload, candidate set (downward closure with weights) and model-size
// filter (McKenna, Mullins, Sheldon, Miklau 2022, §4), shared by both federated AIM schedules.
import type { Domain } from '../pgm/Domain.js';
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import { hypotheticalModelSize } from '../pgm/JunctionTree.js';

/** One candidate marginal: canonical attributes, AIM weight, number of cells. */
export interface AimCandidate {
  readonly attrs: string[];
  readonly weight: number;
  readonly cells: number;
}

/**
 * AIM's candidates: the workload's downward closure, weight = sum_w |c ∩ w| (AIM §4.1). Since
 * |c ∩ w| = sum_{a in c} [a in w], the weight is sum_{a in c} n_a with n_a the number of workload
 * sets holding a: O(|W|·2^k) in all instead of O(|closure|·|W|) (at 100 columns, 166,000
 * candidates against 161,700 workload sets would be 2.7e10 steps).
 */
export function aimCandidates(domain: Domain, workload: readonly (readonly string[])[]): AimCandidate[] {
  const seen = new Map<string, string[]>();
  const holding = new Float64Array(domain.attrs.length);
  for (const w of workload) {
    const c = domain.canonical(w);
    for (const a of new Set(c)) holding[domain.indexOf(a)]++;
    for (let mask = 1; mask < 1 << c.length; mask++) {
      const sub = c.filter((_, i) => (mask >> i) & 1);
      const key = sub.join('\u0001');
      if (!seen.has(key)) seen.set(key, sub);
    }
  }
  return [...seen.values()].map((attrs) => {
    let weight = 0;
    for (const a of attrs) weight += holding[domain.indexOf(a)];
    return { attrs, weight, cells: domain.size(attrs) };
  });
}

/** All k-way attribute sets with at most `maxCells` cells. */
export function kWaySets(domain: Domain, k: number, maxCells: number): string[][] {
  const out: string[][] = [];
  const rec = (start: number, acc: string[]): void => {
    if (acc.length === k) {
      if (domain.size(acc) <= maxCells) out.push([...acc]);
      return;
    }
    for (let i = start; i < domain.attrs.length; i++) rec(i + 1, [...acc, domain.attrs[i]]);
  };
  rec(0, []);
  return out;
}

/** Megabytes per model cell (float64). */
export const MB_PER_CELL = 8 / 2 ** 20;

/** Whether `attrs` lies inside one of `cliques` (measuring it adds no model cells). */
export function insideClique(cliques: readonly (readonly string[])[], attrs: readonly string[]): boolean {
  return cliques.some((cl) => attrs.every((a) => cl.includes(a)));
}

/** AIM's filter: within the size bound (MB), or already inside a model clique (free to add). */
export function fitsModel(domain: Domain, cliques: readonly (readonly string[])[], attrs: readonly string[], sizeLimitMB: number): boolean {
  if (insideClique(cliques, attrs)) return true;
  return hypotheticalModelSize(domain, [...cliques, attrs]) * MB_PER_CELL <= sizeLimitMB;
}

/** `fitsModel` against a fitted model's cliques. */
export function fits(domain: Domain, model: GraphicalModel, attrs: readonly string[], sizeLimitMB: number): boolean {
  return fitsModel(domain, model.cliques, attrs, sizeLimitMB);
}
