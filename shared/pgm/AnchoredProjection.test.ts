// Tests for AnchoredProjection (GraphicalModel.marginal with an anchor): every set holding the
// anchor, on chain, branching, cyclic, singleton and duplicate clique sets, against brute force.
import { describe, expect, it } from 'vitest';
import { Domain } from './Domain.js';
import { GraphicalModel } from './GraphicalModel.js';
import { AnchoredProjection } from './AnchoredProjection.js';
import { bruteJoint, bruteMarginal, maxRelErr } from './testing/bruteForce.js';
import { cliqueSets, randomPotentials, smallDomain } from './testing/cliqueSets.js';

const wide = Domain.fromJson({ a: 2, b: 3, c: 2, d: 3, e: 2, f: 3, g: 2 });

/** Long paths between the anchor's clique and the other columns (chain with a branch and a triangle). */
const wideSets: Readonly<Record<string, string[][]>> = {
  chain: [['a', 'b'], ['b', 'c'], ['c', 'd'], ['d', 'e'], ['e', 'f'], ['f', 'g']],
  branch: [['a', 'b', 'c'], ['c', 'd'], ['d', 'e'], ['c', 'f'], ['f', 'g'], ['e', 'g']],
  star: [['d', 'a'], ['d', 'b'], ['d', 'c'], ['d', 'e', 'f'], ['f', 'g']],
};

function subsets(attrs: readonly string[], k: number): string[][] {
  if (k === 0) return [[]];
  const out: string[][] = [];
  attrs.forEach((a, i) => {
    for (const rest of subsets(attrs.slice(i + 1), k - 1)) out.push([a, ...rest]);
  });
  return out;
}

describe('AnchoredProjection', () => {
  const cases: [string, Domain, string[][]][] = [
    ...Object.entries(wideSets).map(([n, c]): [string, Domain, string[][]] => [n, wide, c]),
    ...Object.entries(cliqueSets).map(([n, c]): [string, Domain, string[][]] => [n, smallDomain, c]),
  ];
  cases.forEach(([name, d, cliques], idx) => {
    it(`${name}: every 2-, 3- and 4-way set with each anchor matches brute force`, () => {
      const pots = randomPotentials(d, cliques, idx + 3);
      const total = 987.25;
      const joint = bruteJoint(d, pots.factors, total);
      const model = GraphicalModel.fromPotentials(d, pots, total);
      let anchoredUsed = 0;
      for (const y of d.attrs) {
        const direct = new AnchoredProjection(model.tree, model.marginals.factors, y);
        for (const k of [2, 3, 4]) {
          for (const s of subsets(d.attrs, k)) {
            if (!s.includes(y)) continue;
            const t = d.canonical(s);
            const want = bruteMarginal(d, joint, t);
            expect(maxRelErr(model.project(t, y), want), `${y} [${t.join(',')}]`).toBeLessThan(1e-10);
            const f = direct.marginal(t);
            if (f !== undefined) {
              anchoredUsed++;
              expect(maxRelErr(f.values, want), `direct ${y} [${t.join(',')}]`).toBeLessThan(1e-10);
            }
          }
        }
      }
      // The anchored path itself ran (not only the fallback) wherever the tree has a path to shorten.
      if (name in wideSets) expect(anchoredUsed).toBeGreaterThan(20);
    });
  });

  it('a set without the anchor, or the anchor alone, is left to the caller', () => {
    const pots = randomPotentials(wide, wideSets.chain, 1);
    const model = GraphicalModel.fromPotentials(wide, pots, 10);
    const a = new AnchoredProjection(model.tree, model.marginals.factors, 'a');
    expect(a.marginal(['c', 'g'])).toBeUndefined();
    expect(a.marginal(['a'])).toBeUndefined();
    expect(a.marginal(['a', 'g'])).toBeDefined();
  });
});
