// Tests for BeliefPropagation and GraphicalModel.project: calibrated marginals against the
// brute-force joint on tree, cyclic, singleton and duplicate clique sets.
import { describe, expect, it } from 'vitest';
import { JunctionTree } from './JunctionTree.js';
import { beliefPropagation } from './BeliefPropagation.js';
import { GraphicalModel } from './GraphicalModel.js';
import { bruteJoint, bruteMarginal, maxRelErr } from './testing/bruteForce.js';
import { cliqueSets, randomPotentials, smallDomain as d } from './testing/cliqueSets.js';

function subsets(attrs: readonly string[], k: number): string[][] {
  if (k === 0) return [[]];
  const out: string[][] = [];
  attrs.forEach((a, i) => {
    for (const rest of subsets(attrs.slice(i + 1), k - 1)) out.push([a, ...rest]);
  });
  return out;
}

describe('belief propagation', () => {
  Object.entries(cliqueSets).forEach(([name, cliques], idx) => {
    it(`${name}: clique marginals and all 1/2/3-way projections match brute force`, () => {
      const pots = randomPotentials(d, cliques, idx + 1);
      const total = 1234.5;
      const joint = bruteJoint(d, pots.factors, total);
      const tree = JunctionTree.build(d, cliques);
      const marg = beliefPropagation(tree, pots, total);
      for (const f of marg.factors) {
        expect(f.sum()).toBeCloseTo(total, 8);
        expect(maxRelErr(f.values, bruteMarginal(d, joint, f.attrs))).toBeLessThan(1e-10);
      }
      const model = GraphicalModel.fromPotentials(d, pots, total);
      for (const k of [0, 1, 2, 3, 5]) {
        for (const s of subsets(d.attrs, k)) {
          expect(maxRelErr(model.project(s), bruteMarginal(d, joint, s))).toBeLessThan(1e-10);
        }
      }
    });
  });

  it('large potentials do not overflow', () => {
    const pots = randomPotentials(d, cliqueSets.fourCycle, 9);
    for (const f of pots.factors) for (let k = 0; k < f.values.length; k++) f.values[k] *= 300;
    const joint = bruteJoint(d, pots.factors, 10);
    const model = GraphicalModel.fromPotentials(d, pots, 10);
    const got = model.project(['a', 'c']);
    const want = bruteMarginal(d, joint, ['a', 'c']);
    for (let k = 0; k < got.length; k++) expect(got[k]).toBeCloseTo(want[k], 8);
  });

  it('zero potentials (-Infinity log-potentials) give exact zeros, not NaN', () => {
    const pots = randomPotentials(d, cliqueSets.fourCycle, 10);
    const f = pots.factors[0];
    for (let k = 0; k < f.values.length; k += 2) f.values[k] = -Infinity;
    const joint = bruteJoint(d, pots.factors, 100);
    const model = GraphicalModel.fromPotentials(d, pots, 100);
    for (const s of [f.attrs, ['a', 'c'], ['b', 'd'], d.attrs]) {
      const got = model.project(s);
      const want = bruteMarginal(d, joint, s);
      for (let k = 0; k < got.length; k++) expect(got[k]).toBeCloseTo(want[k], 9);
    }
  });
});
