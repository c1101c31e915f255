// Tests of the pooled (consortium-wide) risk release: the per-record sensitivity of a silo's count
// vector (brute force: add each of 20 rows), the figures from a noiseless sum against a leaky and a
// private release, and the noise's widening of the intervals. Seeded and deterministic (no
// false-positive rate: nothing is random at test time).
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../../dp/random/RandomSource.js';
import { randomBayesNet, sampleBayesNet } from '../../data/RandomBayesNet.js';
import { makeCodeTable, selectRows, type CodeTable } from '../CodeTable.js';
import { oneSideSquaredChange, pooledRiskCounts, pooledRiskLayout, pooledRiskSensitivity } from './pooledRiskCounts.js';
import { pooledRiskFigures } from './pooledRiskFigures.js';

const net = randomBayesNet({ columns: 10, sizes: { min: 3, max: 12 }, maxParents: 2, strength: 1 }, seededRandomSource('pooled-risk', 'net'));

function sample(rows: number, stream: string): CodeTable {
  const t = sampleBayesNet(net, rows, seededRandomSource('pooled-risk', stream));
  return makeCodeTable(net.domain.attrs, net.domain.shape, t.columns.map((c) => Int32Array.from(c)));
}

function concat(a: CodeTable, b: CodeTable): CodeTable {
  return makeCodeTable(
    a.columns,
    a.sizes,
    a.data.map((col, c) => Int32Array.from([...col, ...b.data[c]])),
  );
}

function sumVectors(vs: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(vs[0].length);
  for (const v of vs) for (let i = 0; i < v.length; i++) out[i] += v[i];
  return out;
}

const m = net.domain.attrs.length;
const noiseless = { stddev: 0, l2Sensitivity: pooledRiskSensitivity(m), rho: 1, parties: 3 };

describe('pooledRiskCounts', () => {
  // One side only; the agent's split can move a row between the sides too, which the release's
  // sensitivity covers (party-agent/evaluation/pooledRiskNeighbours.test.ts).
  it('moves by at most sqrt(m + 2) in L2 when one training or control row is added, and reaches it', () => {
    const train = sample(400, 'train');
    const control = sample(200, 'control');
    const extra = sample(20, 'extra');
    // The synthetic rows contain the added rows: the worst case (copied, linked, inferred).
    const synth = concat(sample(300, 'synth'), extra);
    const base = pooledRiskCounts(train, control, synth, 's');
    let worst = 0;
    for (let r = 0; r < extra.rows; r++) {
      const x = selectRows(extra, [r]);
      for (const v of [pooledRiskCounts(concat(train, x), control, synth, 's'), pooledRiskCounts(train, concat(control, x), synth, 's')]) {
        let d2 = 0;
        for (let i = 0; i < v.length; i++) {
          expect(Math.abs(v[i] - base[i])).toBeLessThanOrEqual(1);
          d2 += (v[i] - base[i]) ** 2;
        }
        worst = Math.max(worst, Math.sqrt(d2));
      }
    }
    expect(worst).toBeLessThanOrEqual(Math.sqrt(oneSideSquaredChange(m)) + 1e-12);
    expect(worst).toBeCloseTo(Math.sqrt(m + 2), 12);
    expect(pooledRiskSensitivity(m)).toBeCloseTo(Math.sqrt(2 * m + 5), 12);
  });

  it('has the documented layout (4m + 4 entries; histograms sum to the rows)', () => {
    const train = sample(100, 'train');
    const control = sample(60, 'control');
    const v = pooledRiskCounts(train, control, sample(100, 'synth'), 's');
    const L = pooledRiskLayout(m);
    expect(v.length).toBe(4 * m + 4);
    expect(v.slice(L.members, L.members + m + 1).reduce((a, b) => a + b, 0)).toBe(100);
    expect(v.slice(L.nonMembers, L.nonMembers + m + 1).reduce((a, b) => a + b, 0)).toBe(60);
  });
});

describe('pooledRiskFigures', () => {
  // Three silos, each with training and control rows.
  const silos = [0, 1, 2].map((i) => ({ train: sample(500, `train${i}`), control: sample(250, `control${i}`) }));
  const allTrain = silos.map((s) => s.train).reduce(concat);

  it('tells a leaky release (the training rows) from a private one (fresh rows)', () => {
    const leaky = pooledRiskFigures(sumVectors(silos.map((s) => pooledRiskCounts(s.train, s.control, allTrain, 's'))), net.domain.attrs, allTrain.rows, noiseless);
    expect(leaky.mia!.auc).toBeGreaterThan(0.9);
    expect(leaky.linkability!.ci[0]).toBeGreaterThan(0.1);
    expect(leaky.inference!.ci[0]).toBeGreaterThan(0.3);
    expect(leaky.exactMatch!.rate).toBe(1);
    expect(leaky.trainRows).toBe(1500);
    expect(leaky.controlRows).toBe(750);
    const fresh = sample(1500, 'fresh');
    const ok = pooledRiskFigures(sumVectors(silos.map((s) => pooledRiskCounts(s.train, s.control, fresh, 's'))), net.domain.attrs, fresh.rows, noiseless);
    expect(Math.abs(ok.mia!.auc - 0.5)).toBeLessThan(0.05);
    expect(ok.linkability!.ci[0]).toBe(0);
    expect(ok.inference!.ci[0]).toBe(0);
    expect(Math.abs(ok.exactMatch!.rate - ok.exactMatch!.controlRate)).toBeLessThan(0.05);
  });

  it('widens every interval with the noise it is told about', () => {
    const fresh = sample(1500, 'fresh');
    const sum = sumVectors(silos.map((s) => pooledRiskCounts(s.train, s.control, fresh, 's')));
    const a = pooledRiskFigures(sum, net.domain.attrs, fresh.rows, noiseless);
    const b = pooledRiskFigures(sum, net.domain.attrs, fresh.rows, { ...noiseless, stddev: 30 });
    const width = (ci: readonly [number, number] | null) => (ci ? ci[1] - ci[0] : NaN);
    expect(width(b.mia!.ci)).toBeGreaterThan(width(a.mia!.ci));
    expect(width(b.exactMatch!.ci)).toBeGreaterThan(width(a.exactMatch!.ci));
    expect(b.inference!.perColumn.every((f, i) => width(f.ci) >= width(a.inference!.perColumn[i].ci))).toBe(true);
    expect(b.linkability!.ci[1]).toBeGreaterThan(a.linkability!.ci[1]);
  });

  it('gives no rates when the noisy target counts are below one row', () => {
    const f = pooledRiskFigures(new Float64Array(pooledRiskLayout(m).length), net.domain.attrs, 10, noiseless);
    expect(f.linkability).toBeNull();
    expect(f.mia).toBeNull();
    expect(f.notes.join(' ')).toMatch(/no rate/);
  });
});
