// Tests for projectionHubs and the loss that projects through them: hubs only where they save cell
// visits, and the loss, its gradient and the Armijo term equal a direct computation without hubs.
import { describe, expect, it } from 'vitest';
import { Domain } from './Domain.js';
import { sumInto } from './Factor.js';
import { indexMap } from './IndexMap.js';
import { JunctionTree } from './JunctionTree.js';
import type { Measurement } from './Measurement.js';
import { MeasurementLoss } from './MeasurementLoss.js';
import { projectionHubs } from './projectionHubs.js';

const d = Domain.fromJson({ a: 9, b: 7, c: 15, e: 6, f: 5, g: 2 });
const clique = ['a', 'b', 'c', 'e', 'f', 'g'];

describe('projectionHubs', () => {
  it('merges sets whose union is much smaller than the clique, largest saving first', () => {
    // |C| = 56,700. {a,c} ∪ {c,f} = {a,c,f} (675 cells) holds three of the sets: saving
    // 2·56,700 − 3·675; then {a,c,f} ∪ {b,g} (9,450 cells) holds both remaining: 56,700 − 2·9,450.
    expect(projectionHubs(d, clique, [['a', 'c'], ['c', 'f'], ['a', 'f'], ['b', 'g']])).toEqual([
      ['a', 'c', 'f'],
      ['a', 'b', 'c', 'f', 'g'],
    ]);
  });

  it('adds no hub when no union saves cell visits', () => {
    // The only union is the clique itself.
    expect(projectionHubs(d, ['a', 'b'], [['a'], ['b']])).toEqual([]);
    // Two sets whose union drops only g (2 values) save nothing: 1·|C| − 2·|C|/2 = 0.
    expect(projectionHubs(d, clique, [['a', 'b', 'c'], ['e', 'f']])).toEqual([]);
    expect(projectionHubs(d, clique, [['a', 'c']])).toEqual([]);
  });
});

describe('MeasurementLoss through hubs', () => {
  const sets = [['a', 'c'], ['c', 'f'], ['a', 'f'], ['a', 'b', 'g'], ['b', 'e'], ['e', 'g'], ['a'], ['c', 'f', 'g']];
  const tree = JunctionTree.build(d, [clique]);
  const n = d.size(clique);
  const wave = (k: number, s: number): number => 50 + 40 * Math.sin(k * 12.9898 + s);
  const measurements: Measurement[] = sets.map((attrs, q) => ({
    attrs: d.canonical(attrs),
    values: Float64Array.from({ length: d.size(attrs) }, (_, k) => wave(k, q) * (n / d.size(attrs)) * 0.01),
    stddev: 1 + q,
  }));
  const marg = (s: number): Float64Array[] => [Float64Array.from({ length: n }, (_, k) => wave(k, 10 + s) * 0.01)];

  /** L(mu) = Σ ||M(mu) − y||² / (2σ²) and its gradient on the clique, each set projected from the clique directly. */
  function direct(mu: Float64Array): { loss: number; grad: Float64Array; proj: Float64Array[] } {
    let loss = 0;
    const grad = new Float64Array(n);
    const proj: Float64Array[] = [];
    for (const m of measurements) {
      const map = indexMap(d, clique, m.attrs);
      const p = new Float64Array(m.values.length);
      sumInto(mu, map, p);
      proj.push(p);
      const w = 1 / (m.stddev * m.stddev);
      for (let k = 0; k < p.length; k++) loss += 0.5 * w * (p[k] - m.values[k]) ** 2;
      for (let k = 0; k < n; k++) grad[k] += w * (p[map[k]] - m.values[map[k]]);
    }
    return { loss, grad, proj };
  }

  it('projects through hubs (the clique is scanned for fewer sets than are measured)', () => {
    const loss = new MeasurementLoss(tree, measurements);
    const tops = loss.topGroups.flatMap((g) => g.attrs.map((a) => a.join(',')));
    // Six top-level sets ({c,f} and {a} lie in measured sets) under two hubs.
    expect(tops.sort()).toEqual(['a,b,c,f,g', 'b,e,g']);
    expect(loss.size).toBe(sets.length);
  });

  it('gives the loss, gradient and Armijo term of the direct computation, over repeated evaluations', () => {
    const loss = new MeasurementLoss(tree, measurements);
    const out = [new Float64Array(n)];
    const rel = (x: number, y: number): number => Math.abs(x - y) / Math.max(1, Math.abs(y));
    let prev: ReturnType<typeof direct> | undefined;
    for (let s = 0; s < 3; s++) {
      const mu = marg(s);
      const ref = direct(mu[0]);
      expect(rel(loss.evaluate(mu), ref.loss)).toBeLessThan(1e-12);
      if (prev !== undefined) {
        // <∇L(mu_prev), mu_prev − mu>, from the previous gradient on the clique.
        const muPrev = marg(s - 1)[0];
        let dec = 0;
        for (let k = 0; k < n; k++) dec += prev.grad[k] * (muPrev[k] - mu[0][k]);
        expect(rel(loss.armijoDecrease(), dec)).toBeLessThan(1e-9);
      }
      loss.accumulate(out);
      let worst = 0;
      for (let k = 0; k < n; k++) worst = Math.max(worst, rel(out[0][k], ref.grad[k]));
      expect(worst).toBeLessThan(1e-12);
      prev = ref;
    }
  });
});
