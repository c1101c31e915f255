// Tests of the pooled subgroup figures: without noise they equal the per-silo statistic
// (subgroupFidelity) on the union of the silos' rows (1-way on every column, 2-way where the pooled
// pairs are all pairs); a group whose 2-way structure the synthetic rows scramble is flagged low by the
// per-silo rule at no and at small noise, and not once the noise's bound covers the excess; honest
// synthetic rows raise no flag. Seeded and deterministic (no false-positive rate: nothing is random at
// test time; the noise is added from a seeded stream).
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { randomBayesNet, sampleBayesNet } from '../data/RandomBayesNet.js';
import { makeCodeTable, type CodeTable } from './CodeTable.js';
import { marginalCounts } from './marginalCounts.js';
import { pooledSubgroupFidelity, subgroupSets } from './pooledSubgroupFidelity.js';
import { subgroupFidelity } from './subgroupFidelity.js';

const net = randomBayesNet({ columns: 6, sizes: { min: 2, max: 6 }, maxParents: 2, strength: 1 }, seededRandomSource('pooled-subgroups', 'net'));
function sample(rows: number, stream: string): CodeTable {
  const t = sampleBayesNet(net, rows, seededRandomSource('pooled-subgroups', stream));
  return makeCodeTable(net.domain.attrs, net.domain.shape, t.columns.map((c) => Int32Array.from(c)));
}
const columnsOf = (t: CodeTable, cols: readonly number[]) => makeCodeTable(cols.map((c) => t.columns[c]), cols.map((c) => t.sizes[c]), cols.map((c) => t.data[c]));
const concat = (ts: readonly CodeTable[]) => makeCodeTable(ts[0].columns, ts[0].sizes, ts[0].columns.map((_, c) => Int32Array.from(ts.flatMap((s) => Array.from(s.data[c])))));

/** The secure sum of the silos' marginals of every set, plus seeded N(0, sigma^2)-like integer noise per cell. */
function noisySums(silos: readonly CodeTable[], split: readonly number[], sigma: number): Float64Array[] {
  const rng = seededRandomSource('pooled-subgroups', `noise/${sigma}`);
  const gauss = () => {
    // Box-Muller from two uniforms of 2^-24 resolution (the test's noise, not a DP sampler).
    const u = (uniformInt(rng, 1 << 24) + 0.5) / (1 << 24);
    const v = (uniformInt(rng, 1 << 24) + 0.5) / (1 << 24);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return subgroupSets(silos[0].columns, split).map((set) => {
    const out = new Float64Array(set.reduce((n, a) => n * silos[0].sizes[a], 1));
    for (const s of silos) marginalCounts(s, set, out);
    if (sigma > 0) for (let i = 0; i < out.length; i++) out[i] += Math.round(sigma * gauss());
    return out;
  });
}

/** `t` with the other columns of the rows where column c = v permuted independently (2-way structure gone, 1-way kept). */
function scrambleGroup(t: CodeTable, c: number, v: number): CodeTable {
  const rng = seededRandomSource('pooled-subgroups', 'scramble');
  const rows = Array.from({ length: t.rows }, (_, r) => r).filter((r) => t.data[c][r] === v);
  const data = t.data.map((col, a) => {
    const out = Int32Array.from(col);
    if (a === c) return out;
    const vals = rows.map((r) => col[r]);
    for (let i = vals.length - 1; i > 0; i--) {
      const j = uniformInt(rng, i + 1);
      [vals[i], vals[j]] = [vals[j], vals[i]];
    }
    rows.forEach((r, i) => (out[r] = vals[i]));
    return out;
  });
  return makeCodeTable(t.columns, t.sizes, data);
}

describe('pooledSubgroupFidelity', () => {
  const silos = [sample(700, 's0'), sample(500, 's1'), sample(300, 's2')];
  const union = concat(silos);
  const synth = sample(1500, 'synth');
  const split = [0, 2, 4];

  it('measures each split column with pairs of its other columns, each other column once (or twice when odd)', () => {
    const sets = subgroupSets(synth.columns, [0]);
    expect(sets).toEqual([
      [0, 1, 2],
      [0, 3, 4],
      [0, 1, 5],
    ]);
    expect(subgroupSets(['a', 'b'], [0, 1])).toEqual([[0, 1]]);
  });

  it('equals the per-silo statistic on the union of the rows when there is no noise (1-way; 2-way on a 3-column table)', () => {
    const pooled = pooledSubgroupFidelity(synth, split, noisySums(silos, split, 0), 0);
    const exact = subgroupFidelity(union, synth, { columns: split });
    expect(pooled.marginals).toBe(subgroupSets(synth.columns, split).length);
    pooled.columns.forEach((col, i) => {
      expect(col.column).toBe(exact.columns[i].column);
      for (const g of exact.columns[i].groups) {
        const p = col.groups.find((x) => x.code === g.code)!;
        expect(p.realRows).toBeCloseTo(g.realRows, 9);
        expect(p.synthRows).toBe(g.synthRows);
        expect(p.realShare).toBeCloseTo(g.realShare, 9);
        if (g.tv1 !== null) expect(p.tv1).toBeCloseTo(g.tv1, 9);
        if (g.tv1 !== null) expect(p.noiseFloor1).toBe(0);
      }
    });
    // Three columns: the pooled pair is the only pair, so tv2, its floor and the flags are the per-silo ones.
    const cols = [0, 1, 2];
    const small = silos.map((s) => columnsOf(s, cols));
    const smallSynth = scrambleGroup(columnsOf(synth, cols), 0, 1);
    const p3 = pooledSubgroupFidelity(smallSynth, [0], noisySums(small, [0], 0), 0);
    const e3 = subgroupFidelity(concat(small), smallSynth, { columns: [0] });
    for (const g of e3.columns[0].groups) {
      const p = p3.columns[0].groups.find((x) => x.code === g.code)!;
      if (g.tv2 !== null) expect(p.tv2).toBeCloseTo(g.tv2, 9);
      if (g.floor2 !== null) expect(p.floor2).toBeCloseTo(g.floor2, 9);
      expect(p.flag).toBe(g.flag);
    }
    expect(p3.columns[0].overall.tv2).toBeCloseTo(e3.columns[0].overall.tv2, 9);
  });

  it('flags a group whose 2-way structure is scrambled (same 1-way), at no and small noise, not once the noise covers it', () => {
    const counts = marginalCounts(union, [0]);
    const v = counts.indexOf(Math.max(...counts));
    const bad = scrambleGroup(synth, 0, v);
    const at = (sigma: number) => pooledSubgroupFidelity(bad, split, noisySums(silos, split, sigma), sigma).columns[0].groups.find((g) => g.code === v)!;
    const clean = at(0);
    expect(clean.flag).toBe('low');
    expect(at(2).flag).toBe('low');
    const loud = at(200);
    expect(loud.tv2! - loud.noiseBound2!).toBeLessThan(clean.tv2!);
    expect(loud.flag).not.toBe('low');
    // The same rows without the scramble: no group of any split column flagged, with or without noise.
    for (const sigma of [0, 2, 20]) expect(pooledSubgroupFidelity(synth, split, noisySums(silos, split, sigma), sigma).flagged).toBe(0);
  });

  it('reports noise floors that grow with sigma and shrink with the subgroup size', () => {
    const pooled = pooledSubgroupFidelity(synth, split, noisySums(silos, split, 20), 20);
    const groups = pooled.columns[0].groups.filter((g) => g.noiseFloor1 !== null);
    const big = groups.reduce((a, b) => (b.realRows > a.realRows ? b : a));
    const small = groups.reduce((a, b) => (b.realRows < a.realRows ? b : a));
    expect(big.noiseFloor1!).toBeGreaterThan(0);
    expect(small.noiseFloor1!).toBeGreaterThanOrEqual(big.noiseFloor1!);
    expect(small.noiseFloor2!).toBeGreaterThanOrEqual(big.noiseFloor2!);
    expect(big.noiseBound2!).toBeGreaterThan(big.noiseFloor2!);
  });
});
