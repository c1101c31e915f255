// Tests of RandomBayesNet: the generated tables have the structure the network declares (planted
// parents recovered from exact and from sampled marginals), determinism, and input validation.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { chiSquareCritical } from '../dp/samplers/chiSquareGoodnessOfFit.js';
import { randomBayesNet, sampleBayesNet, bayesNetStructureJson, type BayesNet } from './RandomBayesNet.js';
import { errorCodeOf } from '../../test/support/errorCodeOf.js';
import type { EncodedTable } from './EncodedTable.js';

const rng = (seed: string, stream: string) => seededRandomSource(seed, stream);

/** The exact joint pmf of a small network by enumeration (row-major over all columns, first slowest). */
function exactJoint(net: BayesNet): Float64Array {
  const shape = net.domain.shape;
  const cells = shape.reduce((a, b) => a * b, 1);
  const joint = new Float64Array(cells);
  const x = new Array<number>(shape.length).fill(0);
  for (let c = 0; c < cells; c++) {
    let rest = c;
    for (let j = shape.length - 1; j >= 0; j--) {
      x[j] = rest % shape[j];
      rest = Math.floor(rest / shape[j]);
    }
    let p = 1;
    for (let j = 0; j < shape.length; j++) p *= net.conditional(j, net.parents[j].map((q) => x[q]))[x[j]];
    joint[c] = p;
  }
  return joint;
}

/** Counts of every full assignment of a table (the empirical joint, unnormalized). */
function tableJoint(table: EncodedTable): Float64Array {
  const shape = table.domain.shape;
  const joint = new Float64Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < table.rowCount; i++) {
    let key = 0;
    for (let j = 0; j < shape.length; j++) key = key * shape[j] + table.columns[j][i];
    joint[key]++;
  }
  return joint;
}

/** The marginal of `joint` (any non-negative weights) over the column set `cols` (ascending). */
function marginal(joint: Float64Array, shape: readonly number[], cols: readonly number[]): Float64Array {
  const out = new Float64Array(cols.reduce((a, j) => a * shape[j], 1));
  const x = new Array<number>(shape.length).fill(0);
  for (let c = 0; c < joint.length; c++) {
    let rest = c;
    for (let j = shape.length - 1; j >= 0; j--) {
      x[j] = rest % shape[j];
      rest = Math.floor(rest / shape[j]);
    }
    let key = 0;
    for (const j of cols) key = key * shape[j] + x[j];
    out[key] += joint[c];
  }
  return out;
}

/**
 * Conditional mutual information I(A; B | S) in nats of the distribution `joint` (normalized
 * internally), A, B, S disjoint column sets; and the degrees of freedom of the matching G-test.
 */
function cmi(joint: Float64Array, shape: readonly number[], a: readonly number[], b: readonly number[], s: readonly number[]): { info: number; df: number } {
  const total = joint.reduce((u, v) => u + v, 0);
  const all = [...a, ...b, ...s].sort((p, q) => p - q);
  const sorted = (cols: readonly number[]) => [...cols].sort((p, q) => p - q);
  const pAll = marginal(joint, shape, all);
  const pAS = marginal(joint, shape, sorted([...a, ...s]));
  const pBS = marginal(joint, shape, sorted([...b, ...s]));
  const pS = marginal(joint, shape, sorted(s));
  const index = (cols: readonly number[], x: readonly number[]) => cols.reduce((k, j) => k * shape[j] + x[j], 0);
  const x = new Array<number>(shape.length).fill(0);
  let info = 0;
  for (let c = 0; c < pAll.length; c++) {
    let rest = c;
    for (let k = all.length - 1; k >= 0; k--) {
      x[all[k]] = rest % shape[all[k]];
      rest = Math.floor(rest / shape[all[k]]);
    }
    const pabs = pAll[c] / total;
    if (pabs === 0) continue;
    const pas = pAS[index(sorted([...a, ...s]), x)] / total;
    const pbs = pBS[index(sorted([...b, ...s]), x)] / total;
    const ps = pS[index(sorted(s), x)] / total;
    info += pabs * Math.log((pabs * ps) / (pas * pbs));
  }
  const size = (cols: readonly number[]) => cols.reduce((k, j) => k * shape[j], 1);
  return { info, df: (size(a) - 1) * (size(b) - 1) * size(s) };
}

/** Every subset of `xs` of size k (ascending). */
function subsets(xs: readonly number[], k: number): number[][] {
  if (k === 0) return [[]];
  if (xs.length < k) return [];
  const [first, ...rest] = xs;
  return [...subsets(rest, k - 1).map((s) => [first, ...s]), ...subsets(rest, k)];
}

/**
 * Recovers each column's parents from exact marginals: the smallest set S of earlier columns (in
 * the declared order) with I(X; earlier \ S | S) = 0 (below `zero`). For a faithful network this
 * is the planted parent set (local Markov property + minimality).
 */
function recoverParents(net: BayesNet, joint: Float64Array, zero: number): number[][] {
  const shape = net.domain.shape;
  const out: number[][] = Array.from({ length: shape.length }, () => []);
  net.order.forEach((j, t) => {
    const earlier = net.order.slice(0, t).sort((p, q) => p - q);
    for (let k = 0; k <= earlier.length; k++) {
      const found = subsets(earlier, k).find((s) => {
        const rest = earlier.filter((e) => !s.includes(e));
        return rest.length === 0 || cmi(joint, shape, [j], rest, s).info < zero;
      });
      if (found) {
        out[j] = found;
        return;
      }
    }
  });
  return out;
}

describe('randomBayesNet', () => {
  it('declares a DAG: parents come earlier in the order, at most maxParents, sizes in range', () => {
    for (const seed of ['1', '2', '3']) {
      const net = randomBayesNet({ columns: 30, sizes: { min: 2, max: 16 }, maxParents: 3 }, rng(seed, 'net'));
      const pos = new Map(net.order.map((j, t) => [j, t]));
      expect([...net.order].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, j) => j));
      net.parents.forEach((ps, j) => {
        expect(ps.length).toBeLessThanOrEqual(3);
        expect(ps.length > 0).toBe(pos.get(j) !== 0); // only the first column of the order is a root
        for (const p of ps) expect(pos.get(p)!).toBeLessThan(pos.get(j)!);
      });
      for (const s of net.domain.shape) expect(s >= 2 && s <= 16).toBe(true);
      const structure = bayesNetStructureJson(net);
      expect(Object.keys(structure.domain)).toEqual(net.domain.attrs);
    }
  });

  it('recovers the planted parents from the exact (noiseless) marginals', () => {
    // Three networks of 7 columns (joint of at most 3^7 cells), up to 3 parents.
    for (const seed of ['a', 'b', 'c']) {
      const net = randomBayesNet({ columns: 7, sizes: { min: 2, max: 3 }, maxParents: 3 }, rng(seed, 'net'));
      const joint = exactJoint(net);
      expect(joint.reduce((u, v) => u + v, 0)).toBeCloseTo(1, 12);
      expect(recoverParents(net, joint, 1e-12)).toEqual(net.parents.map((ps) => [...ps]));
    }
  });

  it('samples tables with the declared structure (G-tests on 200,000 rows)', () => {
    // Each column X with parents P: (1) every earlier non-parent Z is independent of X given P:
    // G = 2·N·I(X; Z | P) must stay below the chi-square critical value at alpha = 1e-6 (a correct
    // generator fails one of the at most 45 checks with probability < 5e-5; Wilson-Hilferty);
    // (2) every parent p carries information beyond the other parents: G = 2·N·I(X; p | P \ p)
    // must exceed the same critical value (dependence is detected, not assumed).
    const net = randomBayesNet({ columns: 10, sizes: { min: 2, max: 3 }, maxParents: 2 }, rng('7', 'net'));
    const rows = 200_000;
    const table = sampleBayesNet(net, rows, rng('7', 'rows'));
    const counts = tableJoint(table);
    const shape = net.domain.shape;
    let independenceChecks = 0;
    let dependenceChecks = 0;
    net.order.forEach((j, t) => {
      const ps = net.parents[j];
      for (const z of net.order.slice(0, t)) {
        if (ps.includes(z)) {
          const others = ps.filter((p) => p !== z);
          const { info, df } = cmi(counts, shape, [j], [z], others);
          expect(2 * rows * info).toBeGreaterThan(chiSquareCritical(df, 0.000001));
          dependenceChecks++;
        } else {
          const { info, df } = cmi(counts, shape, [j], [z], ps);
          expect(2 * rows * info).toBeLessThan(chiSquareCritical(df, 0.000001));
          independenceChecks++;
        }
      }
    });
    expect(dependenceChecks).toBeGreaterThan(5);
    expect(independenceChecks).toBeGreaterThan(10);
  });

  it('is deterministic given the seed and differs across seeds', () => {
    const spec = { columns: 12, sizes: { min: 2, max: 9 }, maxParents: 2 } as const;
    const a = sampleBayesNet(randomBayesNet(spec, rng('s', 'net')), 500, rng('s', 'rows'));
    const b = sampleBayesNet(randomBayesNet(spec, rng('s', 'net')), 500, rng('s', 'rows'));
    const c = sampleBayesNet(randomBayesNet(spec, rng('t', 'net')), 500, rng('t', 'rows'));
    expect(a.toCsv()).toBe(b.toCsv());
    expect(a.toCsv()).not.toBe(c.toCsv());
  });

  it('takes explicit sizes, including a many-valued column, and samples every code in range', () => {
    const sizes = [2, 501, 5, 16];
    const net = randomBayesNet({ columns: 4, sizes, maxParents: 2, strength: 0.5 }, rng('1', 'net'));
    expect(net.domain.shape).toEqual(sizes);
    const table = sampleBayesNet(net, 2000, rng('1', 'rows'));
    expect(table.rowCount).toBe(2000);
  });

  it('strength 0 gives independent columns', () => {
    const net = randomBayesNet({ columns: 5, sizes: { min: 2, max: 3 }, maxParents: 3, strength: 0 }, rng('1', 'net'));
    const joint = exactJoint(net);
    for (let j = 1; j < 5; j++) expect(cmi(joint, net.domain.shape, [j], [0], []).info).toBeLessThan(1e-12);
  });

  it('rejects invalid specs with INVALID_ARGUMENT', async () => {
    const bad = [
      { columns: 0, sizes: { min: 2, max: 3 }, maxParents: 1 },
      { columns: 3, sizes: { min: 1, max: 3 }, maxParents: 1 },
      { columns: 3, sizes: { min: 4, max: 3 }, maxParents: 1 },
      { columns: 3, sizes: [2, 2], maxParents: 1 },
      { columns: 3, sizes: { min: 2, max: 3 }, maxParents: -1 },
      { columns: 3, sizes: { min: 2, max: 3 }, maxParents: 1, strength: Number.NaN },
    ];
    for (const spec of bad) expect(await errorCodeOf(Promise.resolve().then(() => randomBayesNet(spec, rng('1', 'net'))))).toBe('INVALID_ARGUMENT');
  });
});
