// Tests for the `conditionalL1Scores` LocalQuery: definition (brute force), reduction to l1Scores,
// heterogeneity removal, and its sensitivity bound checked by adding/removing every record.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { InMemoryMarginalSource } from '../data/InMemoryMarginalSource.js';
import { evaluateLocalQuery, expectedAbsDeviation, independenceReference } from './evaluateLocalQuery.js';
import { localQuerySensitivity, validateLocalQuery, type LocalQuery } from './LocalQuery.js';
import { dependentTable } from '../../test/support/testOracle.js';

const table = dependentTable(400, 'cond');
const domain = table.domain;
const rng = seededRandomSource('cond', 'test/reference');
/** A random, strictly non-uniform public reference over `cells` (some zero cells). */
const randomRef = (cells: number): number[] => Array.from({ length: cells }, () => (uniformInt(rng, 4) === 0 ? 0 : uniformInt(rng, 100)));

const cands = [['a', 'b'], ['c'], ['a', 'c', 'd'], ['e'], ['b', 'e']];
const conds = [['e'], ['a'], ['a'], ['e'], ['d']];
const reference = cands.map((c, k) => randomRef(domain.size(domain.union(c, conds[k]))));
const query = (samplingCorrection: boolean): LocalQuery => ({ kind: 'conditionalL1Scores', candidates: cands, conditions: conds, reference, ...(samplingCorrection ? { samplingCorrection } : {}) });

/**
 * Brute force from rows: ref(x) = sum over rows of q(x | y_row) (fallback q_r / uniform); the
 * multinomial floor's variance v(x) = sum over rows of q(x | y_row)·(1 − q(x | y_row)).
 */
function bruteForce(
  rows: number[],
  k: number,
  correction: boolean,
  set: { cands: string[][]; conds: string[][]; reference: number[][] } = { cands, conds, reference },
  floor: 'poisson' | 'multinomial' = 'poisson',
): number {
  const r = set.cands[k];
  const y = set.conds[k];
  const u = domain.union(r, y);
  const q = set.reference[k];
  const cellOf = (attrs: readonly string[], codes: (a: string) => number): number => attrs.reduce((idx, a) => idx * domain.sizeOf(a) + codes(a), 0);
  const decode = (cell: number): Map<string, number> => {
    const m = new Map<string, number>();
    for (let i = u.length - 1; i >= 0; i--) {
      m.set(u[i], cell % domain.sizeOf(u[i]));
      cell = Math.floor(cell / domain.sizeOf(u[i]));
    }
    return m;
  };
  const ref = new Float64Array(domain.size(r));
  const variance = new Float64Array(domain.size(r));
  const local = new Float64Array(domain.size(r));
  for (const row of rows) {
    const code = (a: string): number => table.columns[domain.indexOf(a)][row];
    local[cellOf(r, code)] += 1;
    const yCell = cellOf(y, code);
    let qy = 0;
    for (let c = 0; c < q.length; c++) if (cellOf(y, (a) => decode(c).get(a) ?? 0) === yCell) qy += q[c];
    const p = new Float64Array(ref.length);
    for (let c = 0; c < q.length; c++) {
      const m = decode(c);
      const rc = cellOf(r, (a) => m.get(a) ?? 0);
      if (qy > 0) {
        if (cellOf(y, (a) => m.get(a) ?? 0) === yCell) p[rc] += q[c] / qy;
      } else {
        p[rc] += q[c] / q.reduce((s, v) => s + v, 0);
      }
    }
    for (let x = 0; x < p.length; x++) {
      ref[x] += p[x];
      variance[x] += p[x] * (1 - p[x]);
    }
  }
  let l1 = 0;
  for (let x = 0; x < ref.length; x++) l1 += Math.abs(local[x] - ref[x]) - (correction ? expectedAbsDeviation(floor === 'multinomial' ? variance[x] : ref[x]) : 0);
  return Math.round(l1);
}

describe('conditionalL1Scores', () => {
  it('matches the brute-force definition', async () => {
    const rows = Array.from({ length: 37 }, (_, i) => i * 3);
    for (const corr of [false, true]) {
      const got = await evaluateLocalQuery(query(corr), new InMemoryMarginalSource(table.select(rows)), domain);
      cands.forEach((_, k) => expect(got[k]).toBe(bruteForce(rows, k, corr)));
    }
  });

  it('with empty conditions equals l1Scores (reference: the product of the 1-way tables)', async () => {
    const oneWays = domain.shape.map((n) => randomRef(n).map((v) => v + 1));
    const ref2 = cands.map((c) => independenceReference(domain, c, oneWays));
    const src = new InMemoryMarginalSource(table.select(Array.from({ length: 50 }, (_, i) => i)));
    const a = await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: cands, conditions: cands.map(() => []), reference: ref2 }, src, domain);
    const b = await evaluateLocalQuery({ kind: 'l1Scores', candidates: cands, oneWays }, src, domain);
    expect([...a]).toEqual([...b]);
  });

  it('removes label heterogeneity: a party holding only one label value scores 0 against the true conditional', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => i).filter((i) => table.columns[0][i] === 1);
    // True joint of (a, b) over the whole table as the model reference, conditioned on a.
    const joint = new Array<number>(9).fill(0);
    for (let i = 0; i < 400; i++) joint[table.columns[0][i] * 3 + table.columns[1][i]]++;
    const src = new InMemoryMarginalSource(table.select(rows));
    const [cond] = await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: [['b']], conditions: [['a']], reference: [joint] }, src, domain);
    const [plain] = await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: [['b']], conditions: [[]], reference: [[0, 1, 2].map((b) => joint[b] + joint[3 + b] + joint[6 + b])] }, src, domain);
    expect(cond).toBe(0);
    expect(plain).toBeGreaterThan(rows.length / 2); // the unconditioned local error is large
  });

  it('sensitivity: every entry moves by at most 2 (3 with sampling correction) when one record is added or removed', async () => {
    expect(localQuerySensitivity(query(false))).toBeCloseTo(2 * Math.sqrt(5), 12);
    expect(localQuerySensitivity(query(true))).toBeCloseTo(3 * Math.sqrt(5), 12);
    for (const corr of [false, true]) {
      const bound = corr ? 3 : 2;
      let worst = 0;
      for (const size of [0, 1, 3, 20, 90]) {
        const rows = Array.from({ length: size }, (_, i) => (i * 7) % 400);
        const base = await evaluateLocalQuery(query(corr), new InMemoryMarginalSource(table.select(rows)), domain);
        for (let extra = 200; extra < 260; extra++) {
          const v = await evaluateLocalQuery(query(corr), new InMemoryMarginalSource(table.select([...rows, extra])), domain);
          v.forEach((x, k) => (worst = Math.max(worst, Math.abs(x - base[k]))));
        }
      }
      expect(worst).toBeLessThanOrEqual(bound);
      expect(worst).toBeGreaterThanOrEqual(1); // the check is not vacuous
    }
  });

  it('planted fault: a reference scaled by the party total (not a conditional) breaks the bound', async () => {
    // Spreading c(y) with weights q(x,y) (unnormalized) moves an entry by sum_x q(x,y) per record.
    const rows = Array.from({ length: 30 }, (_, i) => i);
    const faulty = (rs: number[]): number => {
      let l1 = 0;
      const q = reference[0];
      const local = new Float64Array(9);
      const ref = new Float64Array(9);
      for (const row of rs) {
        const a = table.columns[0][row];
        const b = table.columns[1][row];
        const e = table.columns[4][row];
        local[a * 3 + b]++;
        for (let x = 0; x < 9; x++) ref[x] += q[x * 4 + e] / 10; // not divided by q(e)
      }
      for (let x = 0; x < 9; x++) l1 += Math.abs(local[x] - ref[x]);
      return Math.round(l1);
    };
    let worst = 0;
    for (let extra = 100; extra < 160; extra++) worst = Math.max(worst, Math.abs(faulty([...rows, extra]) - faulty(rows)));
    expect(worst).toBeGreaterThan(2);
  });

  it('validation rejects mismatched shapes and unknown attributes', () => {
    expect(() => validateLocalQuery({ ...query(false), conditions: [['e']] } as LocalQuery, domain)).toThrow(/one condition per candidate/);
    expect(() => validateLocalQuery({ ...query(false), reference: reference.map((r) => r.slice(1)) } as LocalQuery, domain)).toThrow(/cells/);
    expect(() => validateLocalQuery({ ...query(false), conditions: conds.map(() => ['zz']) } as LocalQuery, domain)).toThrow(/condition/);
  });
});

// Self-conditioned candidates (AIM's `selfCondition`, aimEpochs.selfConditionFor): Y_r ⊂ r, so the
// party's reference is c_i(x_a)·q(x_{r∖a} | x_a) over r's own cells. The definition and the proof
// of the bound are those of any condition (q(·|y) is a probability vector over r's cells).
describe('conditionalL1Scores conditioned on a member of the candidate', () => {
  const self = {
    cands: [['a', 'b'], ['a', 'c', 'd'], ['b', 'e'], ['a', 'b', 'e'], ['c', 'd']],
    conds: [['a'], ['c'], ['e'], ['b'], ['d']],
    reference: [] as number[][],
  };
  self.reference = self.cands.map((c) => randomRef(domain.size(c)));
  const selfQuery = (samplingCorrection: boolean, multinomialFloor = false): LocalQuery => ({
    kind: 'conditionalL1Scores',
    candidates: self.cands,
    conditions: self.conds,
    reference: self.reference,
    ...(samplingCorrection ? { samplingCorrection } : {}),
    ...(multinomialFloor ? { multinomialFloor } : {}),
  });
  /** Largest change of any entry when one of 60 records is added to parties of 0-120 rows. */
  const worstChange = async (q: LocalQuery): Promise<number> => {
    let worst = 0;
    for (const size of [0, 1, 3, 20, 120]) {
      const rows = Array.from({ length: size }, (_, i) => (i * 7) % 400);
      const base = await evaluateLocalQuery(q, new InMemoryMarginalSource(table.select(rows)), domain);
      for (let extra = 200; extra < 260; extra++) {
        const v = await evaluateLocalQuery(q, new InMemoryMarginalSource(table.select([...rows, extra])), domain);
        v.forEach((x, k) => (worst = Math.max(worst, Math.abs(x - base[k]))));
      }
    }
    return worst;
  };

  it('matches the brute-force definition', async () => {
    const rows = Array.from({ length: 53 }, (_, i) => (i * 5) % 400);
    for (const corr of [false, true]) {
      const got = await evaluateLocalQuery(selfQuery(corr), new InMemoryMarginalSource(table.select(rows)), domain);
      self.cands.forEach((_, k) => expect(got[k]).toBe(bruteForce(rows, k, corr, self)));
    }
    const multinomial = await evaluateLocalQuery(selfQuery(true, true), new InMemoryMarginalSource(table.select(rows)), domain);
    self.cands.forEach((_, k) => expect(multinomial[k]).toBe(bruteForce(rows, k, true, self, 'multinomial')));
    // The multinomial floor is the smaller one (variance <= mean): scores are larger.
    const poisson = await evaluateLocalQuery(selfQuery(true), new InMemoryMarginalSource(table.select(rows)), domain);
    expect(multinomial.reduce((s, v) => s + v, 0)).toBeGreaterThan(poisson.reduce((s, v) => s + v, 0));
  });

  it('multinomial floor with conditions outside the candidate equals brute force', async () => {
    const rows = Array.from({ length: 41 }, (_, i) => (i * 11) % 400);
    const got = await evaluateLocalQuery({ ...query(true), multinomialFloor: true } as LocalQuery, new InMemoryMarginalSource(table.select(rows)), domain);
    cands.forEach((_, k) => expect(got[k]).toBe(bruteForce(rows, k, true, undefined, 'multinomial')));
  });

  it('matches the party\'s own margin of the conditioning member: a party of one value of a scores 0 against the true joint', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => i).filter((i) => table.columns[0][i] === 2);
    const joint = new Array<number>(9).fill(0);
    for (let i = 0; i < 400; i++) joint[table.columns[0][i] * 3 + table.columns[1][i]]++;
    const src = new InMemoryMarginalSource(table.select(rows));
    const [own] = await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: [['a', 'b']], conditions: [['a']], reference: [joint] }, src, domain);
    const [plain] = await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: [['a', 'b']], conditions: [[]], reference: [joint] }, src, domain);
    expect(own).toBe(0);
    expect(plain).toBeGreaterThan(rows.length); // against n_i·q(a, b): two thirds of the mass is misplaced
  });

  it('sensitivity: brute force over neighbours stays within 2 (3 with sampling correction), and reaches 2', async () => {
    const worst = await worstChange(selfQuery(false));
    const worstCorrected = await worstChange(selfQuery(true));
    const worstMultinomial = await worstChange(selfQuery(true, true));
    expect(localQuerySensitivity(selfQuery(false))).toBeCloseTo(2 * Math.sqrt(self.cands.length), 12);
    expect(localQuerySensitivity(selfQuery(true))).toBeCloseTo(3 * Math.sqrt(self.cands.length), 12);
    expect(worst).toBeLessThanOrEqual(2);
    expect(worstCorrected).toBeLessThanOrEqual(3);
    expect(localQuerySensitivity(selfQuery(true, true))).toBeCloseTo(3 * Math.sqrt(self.cands.length), 12);
    expect(worstMultinomial).toBeLessThanOrEqual(3);
    expect(worstMultinomial).toBeGreaterThan(1);
    // A planted bound of 1 would fail: the check is tight enough to catch a wrong bound.
    expect(worst).toBe(2);
    expect(worstCorrected).toBeGreaterThan(1);
  });

  it('planted fault: the conditional not normalized within the member\'s value (q(x) instead of q(x | x_a)) breaks the bound', async () => {
    // ref(x) = c(x_a)·q(x) / max_y q(y): a record moves it by a vector of L1 norm sum_x q(x) / max q(y) > 1.
    const q = self.reference[0];
    const faulty = (rs: number[]): number => {
      const qa = [0, 1, 2].map((a) => q[a * 3] + q[a * 3 + 1] + q[a * 3 + 2]);
      const local = new Float64Array(9);
      const ref = new Float64Array(9);
      for (const row of rs) {
        const a = table.columns[0][row];
        local[a * 3 + table.columns[1][row]]++;
        for (let b = 0; b < 3; b++) ref[a * 3 + b] += q[a * 3 + b] / Math.min(...qa.filter((v) => v > 0));
      }
      let l1 = 0;
      for (let x = 0; x < 9; x++) l1 += Math.abs(local[x] - ref[x]);
      return Math.round(l1);
    };
    let worst = 0;
    const rows = Array.from({ length: 30 }, (_, i) => i);
    for (let extra = 100; extra < 160; extra++) worst = Math.max(worst, Math.abs(faulty([...rows, extra]) - faulty(rows)));
    expect(worst).toBeGreaterThan(2);
  });
});

// Jointly conditioned candidates (AIM's `jointCondition`, aimEpochs.jointConditionFor): Y_r = {a, Y}
// with a ∈ r and Y ∉ r, so the party's reference is Σ c_i(x_a, y)·q(x_{r∖a} | x_a, y) over r's
// cells. The definition and the proof of the bound are those of any condition set.
describe('conditionalL1Scores conditioned on a member of the candidate and a column outside it', () => {
  const joint = {
    cands: [['a', 'b'], ['b', 'c', 'd'], ['c', 'd'], ['b', 'e'], ['a', 'c', 'd']],
    conds: [['a', 'e'], ['b', 'e'], ['a', 'd'], ['a', 'b'], ['c', 'e']],
    reference: [] as number[][],
  };
  joint.reference = joint.cands.map((c, k) => randomRef(domain.size(domain.union(c, joint.conds[k]))));
  const jointQuery = (samplingCorrection: boolean, multinomialFloor = false): LocalQuery => ({
    kind: 'conditionalL1Scores',
    candidates: joint.cands,
    conditions: joint.conds,
    reference: joint.reference,
    ...(samplingCorrection ? { samplingCorrection } : {}),
    ...(multinomialFloor ? { multinomialFloor } : {}),
  });

  it('matches the brute-force definition (no floor, Poisson floor, multinomial floor)', async () => {
    const rows = Array.from({ length: 61 }, (_, i) => (i * 13) % 400);
    const src = new InMemoryMarginalSource(table.select(rows));
    for (const corr of [false, true]) {
      const got = await evaluateLocalQuery(jointQuery(corr), src, domain);
      joint.cands.forEach((_, k) => expect(got[k]).toBe(bruteForce(rows, k, corr, joint)));
    }
    const multinomial = await evaluateLocalQuery(jointQuery(true, true), src, domain);
    joint.cands.forEach((_, k) => expect(multinomial[k]).toBe(bruteForce(rows, k, true, joint, 'multinomial')));
  });

  it('sensitivity: brute force over neighbours stays within 2 (3 with either floor)', async () => {
    const worst = [0, 0, 0];
    for (const size of [0, 1, 3, 20, 120]) {
      const rows = Array.from({ length: size }, (_, i) => (i * 7) % 400);
      const variants = [jointQuery(false), jointQuery(true), jointQuery(true, true)];
      for (const [j, q] of variants.entries()) {
        const base = await evaluateLocalQuery(q, new InMemoryMarginalSource(table.select(rows)), domain);
        for (let extra = 200; extra < 260; extra++) {
          const v = await evaluateLocalQuery(q, new InMemoryMarginalSource(table.select([...rows, extra])), domain);
          v.forEach((x, k) => (worst[j] = Math.max(worst[j], Math.abs(x - base[k]))));
        }
      }
    }
    expect(localQuerySensitivity(jointQuery(true, true))).toBeCloseTo(3 * Math.sqrt(joint.cands.length), 12);
    expect(worst[0]).toBe(2);
    expect(worst[1]).toBeLessThanOrEqual(3);
    expect(worst[2]).toBeLessThanOrEqual(3);
  });
});
