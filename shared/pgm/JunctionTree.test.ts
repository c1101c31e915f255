// Tests for JunctionTree: coverage of the input cliques, tree shape, running intersection,
// model size, and detection of a broken tree (planted fault).
import { describe, expect, it } from 'vitest';
import { Domain } from './Domain.js';
import { JunctionTree, hypotheticalModelSize } from './JunctionTree.js';
import { cliqueSets, smallDomain } from './testing/cliqueSets.js';

/** For every attribute the cliques holding it must form a connected subgraph of the tree. */
function runningIntersection(cliques: readonly (readonly string[])[], edges: readonly (readonly [number, number])[], attrs: readonly string[]): boolean {
  for (const a of attrs) {
    const holders = cliques.map((c, i) => (c.includes(a) ? i : -1)).filter((i) => i >= 0);
    if (holders.length === 0) return false;
    const reached = new Set([holders[0]]);
    const stack = [holders[0]];
    while (stack.length > 0) {
      const x = stack.pop() as number;
      for (const [u, v] of edges) {
        const y = u === x ? v : v === x ? u : -1;
        if (y >= 0 && cliques[y].includes(a) && !reached.has(y)) {
          reached.add(y);
          stack.push(y);
        }
      }
    }
    if (reached.size !== holders.length) return false;
  }
  return true;
}

const big = Domain.fromJson(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`x${i}`, 2 + (i % 4)])));
const bigCliques = [
  ['x0', 'x1'], ['x1', 'x2'], ['x2', 'x3'], ['x3', 'x0'], ['x4', 'x5', 'x6'], ['x6', 'x7'], ['x7', 'x4'],
  ['x2', 'x8'], ['x8', 'x5'], ['x9', 'x0', 'x5'],
];

describe('JunctionTree', () => {
  const cases: [string, Domain, string[][]][] = [
    ...Object.entries(cliqueSets).map(([k, v]): [string, Domain, string[][]] => [k, smallDomain, v]),
    ['ten-attribute cyclic', big, bigCliques],
  ];
  for (const [name, domain, cliques] of cases) {
    it(`${name}: covers cliques, is a tree, has running intersection`, () => {
      const t = JunctionTree.build(domain, cliques);
      for (const c of cliques) expect(t.cliqueContaining(c)).toBeGreaterThanOrEqual(0);
      expect(t.edges.length).toBe(t.cliques.length - 1);
      expect(t.order.length).toBe(t.cliques.length);
      expect(runningIntersection(t.cliques, t.edges, domain.attrs)).toBe(true);
      expect(hypotheticalModelSize(domain, cliques)).toBe(t.cliques.reduce((s, c) => s + domain.size(c), 0));
      t.cliques.forEach((c, i) => {
        if (t.parent[i] >= 0) expect(t.separator[i]).toEqual(c.filter((a) => t.cliques[t.parent[i]].includes(a)));
      });
    });
  }

  it('triangulates cycles into one clique per triangle', () => {
    const t = JunctionTree.build(smallDomain, cliqueSets.fourCycle);
    expect(t.cliques.every((c) => c.length <= 3)).toBe(true);
    expect(t.cliques.filter((c) => c.length === 3).length).toBe(2);
  });

  it('the running-intersection check detects a broken tree (planted fault)', () => {
    const t = JunctionTree.build(smallDomain, cliqueSets.tree);
    // Reverse the chain's edges so that the two cliques holding c are not adjacent.
    const cl = [['a', 'b'], ['c', 'd'], ['b', 'c']];
    expect(runningIntersection(cl, [[0, 1], [1, 2]], ['a', 'b', 'c', 'd'])).toBe(false);
    expect(runningIntersection(t.cliques, t.edges, smallDomain.attrs)).toBe(true);
  });
});
