// Clique sets used by the engine's tests: tree, cyclic (triangle, 4-cycle), singleton and
// duplicate structures over one small domain, plus random log-potentials for them.
import { Domain } from '../Domain.js';
import { Factor } from '../Factor.js';
import { CliqueVector } from '../CliqueVector.js';
import { testValues } from './bruteForce.js';

export const smallDomain = Domain.fromJson({ a: 2, b: 3, c: 4, d: 2, e: 3 });

export const cliqueSets: Readonly<Record<string, string[][]>> = {
  tree: [['a', 'b'], ['b', 'c'], ['c', 'd']],
  triangle: [['a', 'b'], ['b', 'c'], ['a', 'c']],
  fourCycle: [['a', 'b'], ['b', 'c'], ['c', 'd'], ['a', 'd']],
  singletons: [['a'], ['b'], ['e']],
  duplicates: [['a', 'b'], ['a', 'b'], ['b'], ['b', 'e']],
  mixed: [['a', 'b', 'c'], ['c', 'd'], ['d', 'e'], ['a', 'e']],
};

/** Random log-potentials (one factor per clique, values in [-2, 2)). */
export function randomPotentials(domain: Domain, cliques: readonly (readonly string[])[], seed: number): CliqueVector {
  return new CliqueVector(cliques.map((c, i) => new Factor(domain, domain.canonical(c), testValues(domain.size(c), seed * 97 + i))));
}
