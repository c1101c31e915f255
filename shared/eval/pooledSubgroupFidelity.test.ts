// Tests of the pooled subgroup figures: without noise they equal the per-silo statistic
// (subgroupFidelity) on the union of the silos' rows; with noise the floor grows as sigma / n_v.
// Seeded and deterministic.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { randomBayesNet, sampleBayesNet } from '../data/RandomBayesNet.js';
import { makeCodeTable, type CodeTable } from './CodeTable.js';
import { marginalCounts } from './marginalCounts.js';
import { pooledSubgroupFidelity, subgroupPairs } from './pooledSubgroupFidelity.js';
import { subgroupFidelity } from './subgroupFidelity.js';

const net = randomBayesNet({ columns: 6, sizes: { min: 2, max: 6 }, maxParents: 2, strength: 1 }, seededRandomSource('pooled-subgroups', 'net'));
function sample(rows: number, stream: string): CodeTable {
  const t = sampleBayesNet(net, rows, seededRandomSource('pooled-subgroups', stream));
  return makeCodeTable(net.domain.attrs, net.domain.shape, t.columns.map((c) => Int32Array.from(c)));
}

describe('pooledSubgroupFidelity', () => {
  const silos = [sample(700, 's0'), sample(500, 's1'), sample(300, 's2')];
  const union = makeCodeTable(net.domain.attrs, net.domain.shape, net.domain.attrs.map((_, c) => Int32Array.from(silos.flatMap((s) => Array.from(s.data[c])))));
  const synth = sample(1500, 'synth');
  const split = [0, 2, 4];
  const pairs = subgroupPairs(synth.columns, split);
  const sums = pairs.map((p) => {
    const out = new Float64Array(p.reduce((n, a) => n * synth.sizes[a], 1));
    for (const s of silos) marginalCounts(s, p, out);
    return out;
  });

  it('equals the per-silo statistic on the union of the rows when there is no noise', () => {
    const pooled = pooledSubgroupFidelity(synth, split, sums, 0);
    const exact = subgroupFidelity(union, synth, { columns: split });
    expect(pooled.pairs).toBe(pairs.length);
    pooled.columns.forEach((col, i) => {
      expect(col.column).toBe(exact.columns[i].column);
      for (const g of exact.columns[i].groups) {
        const p = col.groups.find((x) => x.code === g.code)!;
        expect(p.realRows).toBeCloseTo(g.realRows, 9);
        expect(p.synthRows).toBe(g.synthRows);
        expect(p.realShare).toBeCloseTo(g.realShare, 9);
        if (g.tv1 !== null) expect(p.tv1).toBeCloseTo(g.tv1, 9);
        expect(p.noiseFloor1).toBe(g.tv1 === null ? p.noiseFloor1 : 0);
      }
    });
  });

  it('reports a noise floor that grows with sigma and shrinks with the subgroup size', () => {
    const pooled = pooledSubgroupFidelity(synth, split, sums, 20);
    const groups = pooled.columns[0].groups.filter((g) => g.noiseFloor1 !== null);
    const big = groups.reduce((a, b) => (b.realRows > a.realRows ? b : a));
    const small = groups.reduce((a, b) => (b.realRows < a.realRows ? b : a));
    expect(big.noiseFloor1!).toBeGreaterThan(0);
    expect(small.noiseFloor1!).toBeGreaterThanOrEqual(big.noiseFloor1!);
  });
});
