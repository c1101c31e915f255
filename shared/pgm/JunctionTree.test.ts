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

/** The greedy elimination as first written (full rescan of every vertex per step): the reference. */
function referenceElimination(domain: Domain, cliques: readonly (readonly string[])[]): string[] {
  const n = domain.attrs.length;
  const adj: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  for (const cl of cliques) for (const a of cl) for (const b of cl) if (a !== b) adj[domain.indexOf(a)].add(domain.indexOf(b));
  const alive = new Array<boolean>(n).fill(true);
  const order: string[] = [];
  for (let step = 0; step < n; step++) {
    let best = -1;
    let bestCost = Infinity;
    let bestFill = Infinity;
    for (let v = 0; v < n; v++) {
      if (!alive[v]) continue;
      let cost = domain.shape[v];
      for (const u of adj[v]) cost *= domain.shape[u];
      if (cost > bestCost) continue;
      let fill = 0;
      const nb = [...adj[v]];
      for (let i = 0; i < nb.length; i++) for (let j = i + 1; j < nb.length; j++) if (!adj[nb[i]].has(nb[j])) fill++;
      if (cost < bestCost || fill < bestFill) {
        best = v;
        bestCost = cost;
        bestFill = fill;
      }
    }
    const nb = [...adj[best]];
    for (const i of nb) {
      for (const j of nb) if (i !== j) adj[i].add(j);
      adj[i].delete(best);
    }
    alive[best] = false;
    order.push(domain.attrs[best]);
  }
  return order;
}

describe('greedy elimination with incremental costs', () => {
  it('eliminates in the reference order, and hypotheticalModelSize equals the built tree\'s size, on 60 random clique sets', () => {
    let seed = 7;
    const rand = (k: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * k);
    };
    for (let t = 0; t < 60; t++) {
      const d = 5 + rand(30);
      const dom = new Domain(Array.from({ length: d }, (_, i) => `v${i}`), Array.from({ length: d }, () => 2 + rand(6)));
      const cliques: string[][] = [];
      const m = rand(2 * d);
      for (let k = 0; k < m; k++) {
        const size = 1 + rand(3);
        const set = new Set<string>();
        // Mostly local sets (sparse, tree-like models), some long-range ones (cycles, fill-in).
        const base = rand(d);
        while (set.size < size) set.add(dom.attrs[rand(3) === 0 ? rand(d) : Math.min(d - 1, base + rand(4))]);
        cliques.push(dom.canonical([...set]));
      }
      const tree = JunctionTree.build(dom, cliques);
      expect(tree.eliminationOrder).toEqual(referenceElimination(dom, cliques));
      expect(hypotheticalModelSize(dom, cliques)).toBe(tree.size());
    }
  });
});
