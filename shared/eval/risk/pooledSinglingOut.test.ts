// Tests of the pooled singling-out block: exact disjointness, the party's verification of families
// (hostile variants refused), the per-record sensitivity sqrt(m + 2 + 4F) by brute force (add each of
// 30 rows to training and to control), and the figures telling a leaky release from a private one.
// Seeded and deterministic (no false-positive rate: nothing is random at test time).
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../../dp/random/RandomSource.js';
import { randomBayesNet, sampleBayesNet } from '../../data/RandomBayesNet.js';
import { makeCodeTable, selectRows, type CodeTable } from '../CodeTable.js';
import type { Predicate } from './PredicateBitsets.js';
import { oneSideSquaredChange, pooledRiskCounts, pooledRiskLayout, pooledRiskSensitivity } from './pooledRiskCounts.js';
import { pooledRiskFigures } from './pooledRiskFigures.js';
import {
  MAX_SINGLING_OUT_FAMILIES,
  pooledSinglingOutCounts,
  pooledSinglingOutFamilies,
  predicatesDisjoint,
  SINGLING_OUT_ROWS_UNIT,
  verifySinglingOutFamilies,
  type SinglingOutFamily,
} from './pooledSinglingOut.js';

const net = randomBayesNet({ columns: 10, sizes: { min: 6, max: 14 }, maxParents: 2, strength: 1 }, seededRandomSource('pooled-so', 'net'));
const m = net.domain.attrs.length;
const sizes = net.domain.shape;

function sample(rows: number, stream: string): CodeTable {
  const t = sampleBayesNet(net, rows, seededRandomSource('pooled-so', stream));
  return makeCodeTable(net.domain.attrs, sizes, t.columns.map((c) => Int32Array.from(c)));
}

function concat(a: CodeTable, b: CodeTable): CodeTable {
  return makeCodeTable(a.columns, a.sizes, a.data.map((col, c) => Int32Array.from([...col, ...b.data[c]])));
}

const eq = (col: number, value: number): Predicate => ({ col, op: 'eq', value });

describe('predicatesDisjoint', () => {
  const s = [5, 5, 5];
  it('is exact on the conditions: a shared column without a common code, or an unsatisfiable predicate', () => {
    expect(predicatesDisjoint([eq(0, 1)], [eq(0, 2)], s)).toBe(true);
    expect(predicatesDisjoint([eq(0, 1)], [eq(1, 2)], s)).toBe(false); // different columns: (1, 2, ·) matches both
    expect(predicatesDisjoint([{ col: 0, op: 'le', value: 2 }], [{ col: 0, op: 'ge', value: 2 }], s)).toBe(false);
    expect(predicatesDisjoint([{ col: 0, op: 'lt', value: 2 }], [{ col: 0, op: 'ge', value: 2 }], s)).toBe(true);
    expect(predicatesDisjoint([eq(0, 1), eq(1, 3)], [eq(0, 1), { col: 1, op: 'ne', value: 3 }], s)).toBe(true);
    expect(predicatesDisjoint([eq(0, 1), eq(0, 2)], [eq(1, 1)], s)).toBe(true); // the first matches nothing
  });

  it('agrees with brute force over every record of a small domain', () => {
    const small = [3, 3, 2];
    const ops: Predicate['op'][] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
    const rng = seededRandomSource('pooled-so', 'disjoint');
    const pick = (n: number) => Number(rng.nextUint32() % n);
    const holds = (p: Predicate, v: number) =>
      p.op === 'eq' ? v === p.value : p.op === 'ne' ? v !== p.value : p.op === 'lt' ? v < p.value : p.op === 'le' ? v <= p.value : p.op === 'gt' ? v > p.value : v >= p.value;
    const matches = (q: Predicate[], r: number[]) => q.every((p) => holds(p, r[p.col]));
    const records: number[][] = [];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let c = 0; c < 2; c++) records.push([a, b, c]);
    const random = (): Predicate[] => Array.from({ length: 1 + pick(3) }, () => {
      const col = pick(3);
      return { col, op: ops[pick(6)], value: pick(small[col]) };
    });
    for (let i = 0; i < 500; i++) {
      const [a, b] = [random(), random()];
      expect(predicatesDisjoint(a, b, small)).toBe(!records.some((r) => matches(a, r) && matches(b, r)));
    }
  });
});

describe('verifySinglingOutFamilies (the party refuses hostile families)', () => {
  const s = [4, 4, 4];
  it('accepts disjoint families and refuses overlap, unknown terms, empty and too many families', () => {
    expect(() => verifySinglingOutFamilies([[[eq(0, 1)], [eq(0, 2)]], [[eq(1, 0)]]], s)).not.toThrow();
    expect(() => verifySinglingOutFamilies([[[eq(0, 1)], [eq(1, 2)]]], s)).toThrow(/can match the same record/);
    expect(() => verifySinglingOutFamilies([[[eq(3, 1)]]], s)).toThrow(/unknown column/);
    expect(() => verifySinglingOutFamilies([[[eq(0, 4)]]], s)).toThrow(/outside column/);
    expect(() => verifySinglingOutFamilies([[[{ col: 0, op: 'in' as 'eq', value: 1 }]]], s)).toThrow(/unknown operator/);
    expect(() => verifySinglingOutFamilies([[]], s)).toThrow(/no predicates/);
    expect(() => verifySinglingOutFamilies([[[]]], s)).toThrow(/no conditions/);
    expect(() => verifySinglingOutFamilies(Array.from({ length: MAX_SINGLING_OUT_FAMILIES + 1 }, (_, v) => [[eq(0, v % 4)]]), s)).toThrow(/families, at most/);
  });

  it("accepts the coordinator's families, and refuses them merged into one", () => {
    const synth = sample(600, 'synth');
    const families = pooledSinglingOutFamilies(synth, 'seed', 4);
    expect(families.length).toBe(4);
    expect(families.flat().length).toBeGreaterThan(100);
    expect(() => verifySinglingOutFamilies(families, sizes)).not.toThrow();
    // Predicates of different column triples overlap: all in one family, the party refuses.
    expect(() => verifySinglingOutFamilies([families.flat()], sizes)).toThrow(/can match the same record/);
  });
});

describe('the singling-out block of pooledRiskCounts', () => {
  const F = 4;
  const synth0 = sample(500, 'synth');
  const extra = sample(30, 'extra');
  // The synthetic rows contain the added rows, so predicates single them out: the worst case.
  const synth = concat(synth0, extra);
  const families = pooledSinglingOutFamilies(synth, 'seed', F);

  it('moves by at most sqrt(m + 2 + 4F) in L2 when one training or control row is added, each family entry by at most 2', () => {
    expect(families.length).toBe(F);
    const L = pooledRiskLayout(m, F);
    // One side only (the split's moves are covered by pooledRiskSensitivity: pooledRiskNeighbours.test).
    const bound = Math.sqrt(oneSideSquaredChange(m, F));
    expect(bound).toBeCloseTo(Math.sqrt(m + 2 + 4 * F), 12);
    expect(pooledRiskSensitivity(m, F)).toBeCloseTo(Math.sqrt(2 * m + 5 + 10 * F + 1), 12);
    // Both orders of sizes: more training than control rows (the swap case) and fewer.
    for (const [nTrain, nControl] of [
      [300, 120],
      [100, 160],
    ]) {
      const train = sample(nTrain, `train${nTrain}`);
      const control = sample(nControl, `control${nControl}`);
      const base = pooledRiskCounts(train, control, synth, 's', families);
      expect(base.length).toBe(L.length);
      let worstBlock = 0;
      for (let r = 0; r < extra.rows; r++) {
        const x = selectRows(extra, [r]);
        for (const v of [pooledRiskCounts(concat(train, x), control, synth, 's', families), pooledRiskCounts(train, concat(control, x), synth, 's', families)]) {
          let d2 = 0;
          let block2 = 0;
          for (let i = 0; i < v.length; i++) {
            const d = Math.abs(v[i] - base[i]);
            expect(d).toBeLessThanOrEqual(i >= L.soTrain && i < L.soSilos ? 2 : 1);
            d2 += d * d;
            if (i >= L.soTrain) block2 += d * d;
          }
          expect(Math.sqrt(d2)).toBeLessThanOrEqual(bound + 1e-12);
          expect(block2).toBeLessThanOrEqual(4 * F);
          worstBlock = Math.max(worstBlock, block2);
        }
      }
      // The added rows do move the block (the bound is not vacuous here).
      expect(worstBlock).toBeGreaterThan(0);
    }
  });

  it('breaks that bound when one family holds overlapping predicates (what the party refuses)', () => {
    const merged = [families.flat()];
    const train = sample(300, 'train300');
    const control = sample(120, 'control120');
    const base = pooledSinglingOutCounts(train, control, merged, 's');
    let worst = 0;
    for (let r = 0; r < extra.rows; r++) {
      const v = pooledSinglingOutCounts(concat(train, selectRows(extra, [r])), control, merged, 's');
      worst = Math.max(worst, Math.abs(v[0] - base[0]));
    }
    expect(worst).toBeGreaterThan(2);
    expect(() => verifySinglingOutFamilies(merged, sizes)).toThrow(/can match the same record/);
  });

  it('compares equally many rows on both sides and counts the silo unit', () => {
    const train = sample(300, 'train300');
    const control = sample(120, 'control120');
    const block = pooledSinglingOutCounts(train, control, families, 's');
    expect(block.length).toBe(2 * F + 1);
    expect(block[2 * F]).toBe(SINGLING_OUT_ROWS_UNIT);
    const none = pooledSinglingOutCounts(train, selectRows(control, []), families, 's');
    expect(Array.from(none)).toEqual(new Array(2 * F + 1).fill(0));
  });
});

describe('pooled singling-out figures', () => {
  const F = 4;
  const silos = [0, 1, 2].map((i) => ({ train: sample(600, `t${i}`), control: sample(300, `c${i}`) }));
  const allTrain = silos.map((s) => s.train).reduce(concat);
  const noiseless = (families: readonly SinglingOutFamily[]) => ({ stddev: 0, l2Sensitivity: pooledRiskSensitivity(m, families.length), rho: 1, parties: 3 });
  const figures = (synth: CodeTable, stddev = 0) => {
    const families = pooledSinglingOutFamilies(synth, 'seed', F);
    const sum = new Float64Array(pooledRiskLayout(m, F).length);
    for (const s of silos) pooledRiskCounts(s.train, s.control, synth, 's', families).forEach((x, i) => (sum[i] += x));
    return pooledRiskFigures(sum, net.domain.attrs, synth.rows, { ...noiseless(families), stddev }, 0.95, { families: F, predicates: families.flat().length });
  };

  it('tells a leaky release (the training rows) from a private one (fresh rows)', () => {
    const leaky = figures(allTrain).singlingOut!;
    const ok = figures(sample(1800, 'fresh')).singlingOut!;
    // Measured (seeded): leaky 0.061 [0.040, 0.083] (a predicate singles out a row at one of the 3
    // silos: the pooled figure is the per-silo attack averaged over silos), private 0 [0, 0.010].
    expect(leaky.ci[0]).toBeGreaterThan(0.02);
    expect(ok.ci[1]).toBeLessThan(leaky.ci[0]);
    expect(leaky.attack.attacks).toBe(leaky.control.attacks);
    expect(ok.ci[0]).toBe(0);
    expect(leaky.risk).toBeGreaterThan(ok.risk);
  });

  it('widens its interval with the noise it is told about, and reports nothing without the block', () => {
    const synth = sample(1800, 'fresh');
    const a = figures(synth).singlingOut!;
    const b = figures(synth, 30).singlingOut!;
    expect(b.ci[1] - b.ci[0]).toBeGreaterThan(a.ci[1] - a.ci[0]);
    const plain = pooledRiskFigures(new Float64Array(pooledRiskLayout(m).length).fill(100), net.domain.attrs, 10, noiseless([]));
    expect(plain.singlingOut).toBeNull();
    expect(plain.notes.join(' ')).toMatch(/not pooled/);
  });
});
