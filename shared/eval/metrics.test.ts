// Known-answer tests for the evaluation metrics on tiny hand-computed tables, brute-force checks of
// the nearest-neighbour search, and planted faults that each check must detect.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { makeCodeTable, selectRows, type CodeTable } from './CodeTable.js';
import { associationMatrix } from './associationMatrix.js';
import { accuracyOf, aucFromHistograms, confusionMatrix, macroF1Of, rocAuc } from './classificationMetrics.js';
import { cramersV } from './cramersV.js';
import { combinePartyEvaluations } from './EvalSufficientStats.js';
import { evaluateParty } from './evaluateParty.js';
import { buildHammingIndex, hammingNeighbours } from './hammingNeighbours.js';
import { argmaxRows, predictProba, trainLogistic } from './logisticRegression.js';
import { pearsonFromCounts } from './pearsonFromCounts.js';
import { privacyMetrics } from './privacyMetrics.js';
import { exactMatchCounts } from './rowKeys.js';
import { oneHotDesign } from './SparseDesign.js';
import { summarizeSufficientStats } from './summarizeSufficientStats.js';

function randomTable(rows: number, sizes: number[], stream: string): CodeTable {
  const rng = seededRandomSource('metrics-test', stream);
  const data = sizes.map((s) => Int32Array.from({ length: rows }, () => uniformInt(rng, s)));
  return makeCodeTable(sizes.map((_, i) => `c${i}`), sizes, data);
}

describe('association measures', () => {
  it("Cramér's V: 1 for a perfect association, 0 for independence", () => {
    expect(cramersV([5, 0, 0, 5], 2, 2)).toBeCloseTo(1, 12);
    expect(cramersV([2, 2, 3, 3], 2, 2)).toBeCloseTo(0, 12);
    // 2x2 table [[10,20],[30,40]]: phi^2 = chi2/n; chi2 = 100*(10*40-20*30)^2/(30*70*40*60) = 0.7937
    expect(cramersV([10, 20, 30, 40], 2, 2)).toBeCloseTo(Math.sqrt(0.7936507936507936 / 100), 12);
  });
  it('Pearson on codes: +1 / -1 on the diagonals, 0 when constant', () => {
    expect(pearsonFromCounts([1, 0, 0, 0, 1, 0, 0, 0, 1], 3, 3)).toBeCloseTo(1, 12);
    expect(pearsonFromCounts([0, 0, 1, 0, 1, 0, 1, 0, 0], 3, 3)).toBeCloseTo(-1, 12);
    expect(pearsonFromCounts([4, 0, 2, 0], 2, 2)).toBe(0);
  });
  it('associationMatrix uses Pearson only for ordinal pairs', () => {
    const t = makeCodeTable(['a', 'b', 'c'], [3, 3, 2], [Int32Array.from([0, 1, 2, 0]), Int32Array.from([2, 1, 0, 2]), Int32Array.from([0, 1, 1, 0])]);
    const m = associationMatrix(t, ['ordinal', 'ordinal', 'categorical']);
    expect(m.values[1]).toBeCloseTo(-1, 12);
    expect(m.measure[1]).toBe('pearson');
    expect(m.measure[2]).toBe('cramersV');
    expect(m.values[0]).toBe(1);
  });
});

describe('classification metrics', () => {
  it('confusion, accuracy and macro-F1 by hand', () => {
    const c = confusionMatrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 2);
    expect([...c]).toEqual([1, 1, 1, 2]);
    expect(accuracyOf(c, 2)).toBeCloseTo(3 / 5, 15);
    // F1(0) = 2/(2+1+1) = 0.5; F1(1) = 4/(4+1+1) = 2/3
    expect(macroF1Of(c, 2)).toBeCloseTo((0.5 + 2 / 3) / 2, 15);
  });
  it('AUC with ties, and from histograms', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 15);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(aucFromHistograms([0, 1, 1], [1, 1, 0])).toBeCloseTo((0.5 + 1 + 1 + 1) / 4, 15);
    expect(aucFromHistograms([0, 0, 3], [3, 0, 0])).toBe(1);
  });
});

describe('logistic regression', () => {
  it('learns a deterministic rule and is reproducible', () => {
    const x = randomTable(2000, [4, 3], 'lr');
    const y = Int32Array.from(x.data[0], (v) => (v >= 2 ? 1 : 0));
    const d = oneHotDesign(x, { columns: [0, 1] });
    const m1 = trainLogistic(d, y, { classes: 2 }, seededRandomSource('s', 'lr'));
    const m2 = trainLogistic(d, y, { classes: 2 }, seededRandomSource('s', 'lr'));
    expect([...m1.w]).toEqual([...m2.w]);
    const pred = argmaxRows(predictProba(m1, d), 2);
    expect(accuracyOf(confusionMatrix(y, pred, 2), 2)).toBe(1);
    // Planted fault: labels shuffled against features, the model cannot beat ~chance.
    const yBad = Int32Array.from(x.data[1], (v, i) => (i * 7919) % 2);
    const bad = argmaxRows(predictProba(trainLogistic(d, yBad, { classes: 2 }, seededRandomSource('s', 'lr')), d), 2);
    expect(accuracyOf(confusionMatrix(yBad, bad, 2), 2)).toBeLessThan(0.6);
  });
});

describe('Hamming nearest neighbours', () => {
  function brute(ref: CodeTable, q: CodeTable): [number[], number[]] {
    const d1: number[] = [];
    const d2: number[] = [];
    for (let i = 0; i < q.rows; i++) {
      let b1 = 99;
      let b2 = 99;
      for (let j = 0; j < ref.rows; j++) {
        let d = 0;
        for (let c = 0; c < ref.columns.length; c++) if (ref.data[c][j] !== q.data[c][i]) d++;
        if (d < b1) [b2, b1] = [b1, d];
        else if (d < b2) b2 = d;
      }
      d1.push(b1);
      d2.push(b2);
    }
    return [d1, d2];
  }
  // 'many values': a column of 300 values (two-byte codes in the index, no bitsets in the scan's
  // filter) and one of 70,000 (a 32-bit field); 'long': 30 columns, bounds above the bit-sliced filter's.
  const long = Array.from({ length: 30 }, (_, i) => 2 + (i % 4));
  for (const [name, sizes] of [['skewed', [2, 2, 3, 50, 40, 5, 9, 2]], ['wide', [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]], ['many values', [300, 2, 3, 4, 2, 5, 70_000]], ['long', long]] as const) {
    it(`matches brute force (${name}), for every index depth, and on a subset of the rows indexed in place`, () => {
      const ref = randomTable(700, [...sizes], `ref-${name}`);
      const q = randomTable(150, [...sizes], `q-${name}`);
      const [b1, b2] = brute(ref, q);
      for (const levels of [0, 1, 3, 6]) {
        const r = hammingNeighbours(buildHammingIndex(ref, levels), q, true);
        expect([...r.d1]).toEqual(b1);
        expect([...(r.d2 as Int32Array)]).toEqual(b2);
      }
      const subset = Array.from({ length: 233 }, (_, i) => (i * 3 + 1) % 700);
      const [s1, s2] = brute(selectRows(ref, subset), q);
      const r = hammingNeighbours(buildHammingIndex(ref, 3, subset), q, true);
      expect([...r.d1]).toEqual(s1);
      expect([...(r.d2 as Int32Array)]).toEqual(s2);
    });
  }
  it('finds exact copies at distance 0 and duplicates as second neighbour', () => {
    const ref = makeCodeTable(['a', 'b'], [3, 3], [Int32Array.from([0, 0, 2]), Int32Array.from([1, 1, 2])]);
    const q = makeCodeTable(['a', 'b'], [3, 3], [Int32Array.from([0, 2]), Int32Array.from([1, 0])]);
    const r = hammingNeighbours(buildHammingIndex(ref), q, true);
    expect([...r.d1]).toEqual([0, 1]);
    expect([...(r.d2 as Int32Array)]).toEqual([0, 2]);
  });
});

describe('privacy metrics', () => {
  const sizes = [20, 20, 20, 20, 4, 4];
  const train = randomTable(600, sizes, 'train');
  const holdout = randomTable(600, sizes, 'holdout');
  const fresh = randomTable(600, sizes, 'fresh');
  it('a generator that samples fresh rows looks private (DCR share ~ 0.5, MIA AUC ~ 0.5)', () => {
    const p = privacyMetrics(train, holdout, fresh, { seed: 'x' });
    expect(p.exactCopies).toBe(0);
    // Binomial(600, 1/2) with ties: |share - 0.5| > 0.1 has probability < 1e-6 (Hoeffding).
    expect(Math.abs((p.dcr?.share ?? 0) - 0.5)).toBeLessThan(0.1);
    expect(Math.abs((p.mia?.auc ?? 0) - 0.5)).toBeLessThan(0.1);
  });
  it('planted fault: a generator that copies the training rows is caught by every metric', () => {
    const p = privacyMetrics(train, holdout, train, { seed: 'x' });
    expect(p.exactMatchRate).toBe(1);
    expect(p.dcr?.share).toBe(1);
    expect(p.mia?.auc).toBe(1);
    expect(p.dcrHistogram[0]).toBe(600);
  });
  it('without a holdout it says so instead of failing', () => {
    const p = privacyMetrics(train, null, fresh, { seed: 'x' });
    expect(p.dcr).toBeNull();
    expect(p.unavailable[0]).toMatch(/holdout/);
  });
  it('exactMatchCounts counts both directions', () => {
    const a = makeCodeTable(['x'], [5], [Int32Array.from([1, 1, 2])]);
    const b = makeCodeTable(['x'], [5], [Int32Array.from([1, 3])]);
    expect(exactMatchCounts(a, b)).toEqual({ synthCopies: 1, realReproduced: 2 });
  });
});

describe('evaluateParty and combinePartyEvaluations', () => {
  const sizes = [6, 5, 4, 2];
  const all = randomTable(1200, sizes, 'party');
  const synth = randomTable(800, sizes, 'synth');
  const part = (lo: number, hi: number): CodeTable =>
    makeCodeTable(all.columns, sizes, all.data.map((c) => c.slice(lo, hi)));
  it('the sum of two parties equals the evaluation of their union for additive parts', () => {
    const a = evaluateParty({ train: part(0, 500), synth, target: 'c3', maxWay: 2 });
    const b = evaluateParty({ train: part(500, 1200), synth, target: 'c3', maxWay: 2 });
    const u = evaluateParty({ train: part(0, 1200), synth, target: 'c3', maxWay: 2 });
    const combined = combinePartyEvaluations([a.additive, b.additive]);
    expect(combined.rows).toBe(1200);
    expect(combined.marginals).toEqual(u.additive.marginals);
    const s = summarizeSufficientStats(combined, synth);
    expect(s.tv.byWay[1].avg).toBeCloseTo(u.local.tv.byWay[1].avg, 12);
    expect(s.utility?.target).toBe('c3');
    expect(a.local.unavailable.join(' ')).toMatch(/holdout/);
  });
  it('reports a missing target instead of failing', () => {
    const e = evaluateParty({ train: part(0, 300), synth, maxWay: 2 });
    expect(e.local.utility).toBeNull();
    expect(e.local.unavailable.join(' ')).toMatch(/no target column/);
  });
  it('rejects combining different domains', () => {
    const a = evaluateParty({ train: part(0, 300), synth, maxWay: 1 });
    const b = evaluateParty({ train: part(0, 300), synth, maxWay: 1, additiveMaxWay: 1 });
    expect(() => combinePartyEvaluations([a.additive, b.additive])).toThrow(/different/);
  });
});
