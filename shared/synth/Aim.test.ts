// Tests for federated AIM: recovers a planted 3-way dependency, is reproducible, stays within
// budget (epochs and rounds schedules, all selection paths), and handles the workload/candidate construction.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { aim, aimCandidates, epochModelSizeMB, kWaySets } from './Aim.js';
import { MB_PER_CELL, type AimCandidate } from './AimCandidates.js';
import { AttributeForest } from './AttributeForest.js';
import { maximumSpanningTree } from './Mst.js';
import { batchSizes, boundedPool, significanceThreshold, cellsSplit, chooseBatch, conditionPairsToMeasure, linkedByPicks, interacts, selfConditionFor, jointConditionFor, expectedMarginError, knowsDependence, defaultMultinomialFloor } from './aimEpochs.js';
import type { LocalQuery } from './LocalQuery.js';
import type { AimEpochOptions } from './AimOptions.js';
import type { FederatedOracle } from './FederatedOracle.js';
import { evaluateLocalQuery } from './evaluateLocalQuery.js';
import { dependentTable, testOracle } from '../../test/support/testOracle.js';
import { InProcessOracle, type RhoCharge } from './InProcessOracle.js';
import { InMemoryMarginalSource } from '../data/InMemoryMarginalSource.js';
import { splitParties } from '../data/splitParties.js';
import { Domain } from '../pgm/Domain.js';
import { EncodedTable } from '../data/EncodedTable.js';
import { uniformInt } from '../dp/random/uniform.js';

/** 4 parties, each holding (almost) one value of column a. */
function skewedOracle(): { oracle: InProcessOracle; charges: RhoCharge[] } {
  const charges: RhoCharge[] = [];
  const parts = splitParties(table, 4, { dirichlet: 0.05, column: 'a' }, seededRandomSource('skew', 'test/split'));
  const oracle = new InProcessOracle({ domain, parties: parts.map((p) => new InMemoryMarginalSource(p)), seed: 'skew', onCharge: (c) => charges.push(c) });
  return { oracle, charges };
}

const table = dependentTable(3000, 'aim');
const domain = table.domain;

describe('epochModelSizeMB', () => {
  it('2 MB up to 14 columns (Adult keeps its bound), then 2 MB per 14 columns', () => {
    expect(epochModelSizeMB(5)).toBe(2);
    expect(epochModelSizeMB(14)).toBe(2);
    expect(epochModelSizeMB(40)).toBeCloseTo(40 / 7, 12);
    expect(epochModelSizeMB(100)).toBeCloseTo(100 / 7, 12);
  });
});

describe('aimCandidates', () => {
  it('is the downward closure with weights sum_w |c ∩ w|', () => {
    const cands = aimCandidates(domain, [['a', 'b', 'c']]);
    expect(cands.length).toBe(7);
    expect(cands.find((c) => c.attrs.join() === 'a,b')?.weight).toBe(2);
    expect(kWaySets(domain, 3, 27).length).toBe(4); // only triples without e (3*3*3 = 27 cells)
  });
});

describe('aim', () => {
  const configs = [
    { name: 'epochs (default)', opts: {} },
    { name: 'epochs, no conditioning, no sampling correction', opts: { heterogeneity: 'none', samplingCorrection: false } },
    { name: 'epochs, annealing, no pruning, accelerated estimator', opts: { annealing: true, prune: false, estimator: 'accelerated' } },
    { name: 'rounds/localScores', opts: { schedule: 'rounds', selection: 'localScores' } },
    { name: 'rounds/measured', opts: { schedule: 'rounds', selection: 'measured' } },
  ] as const;
  for (const { name, opts } of configs) {
    it(`${name}: recovers d = (a + c) mod 3 with 5 parties, within budget, reproducibly`, async () => {
      const run = async (): Promise<{ cols: Int32Array[]; charged: number; selected: string[] }> => {
        const { oracle, charges } = testOracle(table, 5, 'seed');
        const res = await aim(oracle, { rho: 2, iters: 100, rounds: 10, ...opts });
        return {
          cols: res.sample(3000, seededRandomSource('seed', 'coordinator/sample')),
          charged: charges.reduce((s, c) => s + c.rho, 0),
          selected: res.selected.map((s) => s.join()),
        };
      };
      const r = await run();
      expect(r.charged).toBeLessThanOrEqual(2 * (1 + 1e-9));
      if (name.startsWith('epochs')) expect(r.charged).toBeCloseTo(2, 9); // the last epoch spends exactly what remains
      expect(r.selected).toContain('a,c,d');
      const [a, , c, d] = r.cols;
      let ok = 0;
      for (let i = 0; i < a.length; i++) if (d[i] === (a[i] + c[i]) % 3) ok++;
      // True rate 0.9 + 0.1/3 = 0.933; an independent model gives 1/3.
      expect(ok / a.length).toBeGreaterThan(0.85);
      const again = await run();
      expect(again.cols.map((x) => [...x])).toEqual(r.cols.map((x) => [...x]));
    });
  }
});

describe('aim epochs: pairs first', () => {
  it('the first epoch measures only 1- and 2-way marginals, 3-ways come later (firstEpochMaxWay 3 lifts it)', async () => {
    const firstWays = async (firstEpochMaxWay?: number): Promise<number[]> => {
      const { oracle } = testOracle(table, 3, 'pairs');
      const ways: number[][] = [];
      await aim(oracle, { rho: 2, iters: 50, rounds: 10, epochs: 3, ...(firstEpochMaxWay ? { firstEpochMaxWay } : {}), onRound: (i) => ways.push(i.chosen.map((c) => c.length)) });
      return ways[0];
    };
    expect(Math.max(...(await firstWays()))).toBeLessThanOrEqual(2);
    expect(Math.max(...(await firstWays(3)))).toBe(3);
  });
  it('maxWayEpochs 2: the second epoch scores only pairs as well, where by default it measures a 3-way', async () => {
    const secondWays = async (maxWayEpochs?: number): Promise<number[]> => {
      const { oracle } = testOracle(table, 3, 'pairs');
      const ways: number[][] = [];
      await aim(oracle, { rho: 2, iters: 50, rounds: 10, epochs: 3, ...(maxWayEpochs ? { maxWayEpochs } : {}), onRound: (i) => ways.push(i.chosen.map((c) => c.length)) });
      return ways[1];
    };
    expect(Math.max(...(await secondWays()))).toBe(3);
    expect(Math.max(...(await secondWays(2)))).toBeLessThanOrEqual(2);
  });
});

describe('aim epochs: the pool grows with the dependence structure', () => {
  it('interacts: k-ways need two supported (k−1)-subsets; pairs always qualify', () => {
    const supported = new Set(['a\u0001b', 'b\u0001c', 'c\u0001d']);
    expect(interacts(['c', 'e'], supported)).toBe(true);
    expect(interacts(['a', 'b', 'c'], supported)).toBe(true);
    expect(interacts(['b', 'c', 'd'], supported)).toBe(true);
    expect(interacts(['a', 'b', 'd'], supported)).toBe(false); // one supported pair only
    expect(interacts(['a', 'd', 'e'], supported)).toBe(false);
  });

  it('a pool above maxPool keeps the interacting candidates, then the strongest-supported', () => {
    const c = (attrs: string[]) => ({ attrs });
    const pool = [c(['a']), c(['a', 'b']), c(['a', 'b', 'c']), c(['a', 'b', 'd']), c(['b', 'c', 'd']), c(['c', 'd', 'e'])];
    const supported = new Set(['a\u0001b', 'b\u0001c', 'a\u0001c', 'b\u0001d', 'c\u0001d']);
    const scores = new Map([['a\u0001b', 10], ['b\u0001c', 5], ['a\u0001c', 5], ['b\u0001d', 1], ['c\u0001d', 1]]);
    // c,d,e has one supported pair: out. a,b,d (two) and b,c,d (three) and a,b,c (three) stay.
    expect(boundedPool(pool, 5, supported, scores).map((x) => x.attrs.join(''))).toEqual(['a', 'ab', 'abc', 'abd', 'bcd']);
    // Cut to 4: the weakest triple (b,c,d: 5 + 1 + 1 = 7 against a,b,d: 10 + 1 = 11) goes.
    expect(boundedPool(pool, 4, supported, scores).map((x) => x.attrs.join(''))).toEqual(['a', 'ab', 'abc', 'abd']);
  });

  it('with a small maxPool the first 3-ways wait for their pairs (firstEpochMaxWay 3), without a bound they do not', async () => {
    const firstTriples = async (maxPool: number): Promise<number> => {
      const { oracle } = testOracle(table, 3, 'pairs');
      let first = -1;
      await aim(oracle, { rho: 2, iters: 50, rounds: 10, epochs: 3, firstEpochMaxWay: 3, maxPool, onRound: (i) => { if (first < 0) first = i.chosen.filter((x) => x.length === 3).length; } });
      return first;
    };
    expect(await firstTriples(16)).toBe(0);
    expect(await firstTriples(0)).toBeGreaterThan(0);
  });
});

describe('aim epochs under label skew', () => {
  it('the probe finds the skewed column and the run stays within budget', async () => {
    const { oracle, charges } = skewedOracle();
    const labels: string[] = [];
    const res = await aim(oracle, { rho: 1, iters: 50, rounds: 10, epochs: 3, onRound: (i) => labels.push(String(i.round)) });
    expect(labels).toEqual(['1', '2', '3']);
    expect(charges.reduce((s, c) => s + c.rho, 0)).toBeCloseTo(1, 9);
    expect(charges.find((c) => c.label === 'aim/probe')?.kind).toBe('conditionalL1Scores');
    expect(res.selected.length).toBeGreaterThanOrEqual(3);
    expect(res.condition).toBe('a');
  });

  it('the condition step scores and measures the pairs {a, Y} first; off, the first measurement after the 1-ways is the main batch', async () => {
    const run = async (conditionPairsFirst: boolean): Promise<{ charges: RhoCharge[]; first: readonly (readonly string[])[] }> => {
      const { oracle, charges } = skewedOracle();
      let first: readonly (readonly string[])[] = [];
      await aim(oracle, { rho: 1, iters: 50, rounds: 10, epochs: 3, conditionPairsFirst, onRound: (i) => { if (i.round === 1) first = i.chosen; } });
      expect(charges.reduce((s, c) => s + c.rho, 0)).toBeCloseTo(1, 9);
      return { charges, first };
    };
    const on = await run(true);
    const labels = on.charges.map((c) => c.label);
    // probe, then the condition release and its measurement, then epoch 1's main release.
    expect(labels.indexOf('aim/select/condition')).toBe(labels.indexOf('aim/probe') + 1);
    expect(labels.indexOf('aim/measure/condition')).toBe(labels.indexOf('aim/select/condition') + 1);
    expect(labels.indexOf('aim/select/1')).toBe(labels.indexOf('aim/measure/condition') + 1);
    // b = a (90%): {a, b} is the pair that depends on the skewed column ({a, d} only through c).
    expect(on.first[0]).toEqual(['a', 'b']);
    const off = await run(false);
    expect(off.charges.map((c) => c.label).filter((l) => l.endsWith('/condition'))).toEqual([]);
  });

  it('why: under skew on Y the summed party errors of a pair independent of Y given the model inflate until the model knows the pairs with Y', async () => {
    // Parties split on a (dirichlet 0.05); candidate {b, e}: b = a (90%), e independent of both.
    // The consortium's error of the independence model on {b, e} is only sampling noise; each
    // party's b is skewed with a, so against q(b, e | a) = q(b)·q(e) every party errs. Once the
    // model holds the true {a, b}, q(b, e | a) = p(b | a)·q(e) and the inflation is gone.
    const parts = splitParties(table, 4, { dirichlet: 0.05, column: 'a' }, seededRandomSource('skew', 'test/split'));
    const joint = (attrs: string[]): number[] => {
      const out = new Array<number>(domain.size(attrs)).fill(0);
      for (let i = 0; i < table.rowCount; i++) out[attrs.reduce((idx, a) => idx * domain.sizeOf(a) + table.columns[domain.indexOf(a)][i], 0)]++;
      return out;
    };
    const [pa, pb, pe, pab] = [joint(['a']), joint(['b']), joint(['e']), joint(['a', 'b'])];
    const n = table.rowCount;
    // q over (a, b, e) in canonical order, a slowest.
    const q = (withAB: boolean): number[] => {
      const out: number[] = [];
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let e = 0; e < 4; e++) out.push((withAB ? pab[a * 3 + b] : (pa[a] * pb[b]) / n) * (pe[e] / n));
      return out;
    };
    const score = async (withAB: boolean, sources: InMemoryMarginalSource[]): Promise<number> => {
      let s = 0;
      for (const src of sources) s += (await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: [['b', 'e']], conditions: [['a']], reference: [q(withAB)], samplingCorrection: true }, src, domain))[0];
      return s;
    };
    const fedSources = parts.map((p) => new InMemoryMarginalSource(p));
    const central = [new InMemoryMarginalSource(table)];
    const [fedBefore, centralBefore, fedAfter] = [await score(false, fedSources), await score(false, central), await score(true, fedSources)];
    expect(fedBefore).toBeGreaterThan(0.2 * n); // inflated: a fifth of the rows counted as error
    expect(Math.abs(centralBefore)).toBeLessThan(0.05 * n);
    expect(Math.abs(fedAfter)).toBeLessThan(0.05 * n);
  });

  it('selfCondition: each score release conditions a candidate on its most skewed member, leaves out the 1-ways, and the charges sum to rho', async () => {
    const { oracle, charges } = skewedOracle();
    const queries: { label: string; query: LocalQuery }[] = [];
    const spy: FederatedOracle = {
      domain: oracle.domain,
      secureSum: (query, rho, label) => {
        queries.push({ label, query });
        return oracle.secureSum(query, rho, label);
      },
      measure: (sets, rho, label, recode) => oracle.measure(sets, rho, label, recode),
    };
    const res = await aim(spy, { rho: 1, iters: 50, rounds: 10, epochs: 3, heterogeneity: 'selfCondition' });
    expect(res.condition).toBe('a');
    expect(charges.reduce((s, c) => s + c.rho, 0)).toBeCloseTo(1, 9);
    const selects = queries.filter((q) => q.label.startsWith('aim/select/'));
    expect(selects.length).toBeGreaterThanOrEqual(1);
    for (const { query } of selects) {
      if (query.kind !== 'conditionalL1Scores') throw new Error(`unexpected ${query.kind}`);
      query.candidates.forEach((c, k) => {
        expect(c.length).toBeGreaterThanOrEqual(2);
        const y = query.conditions[k];
        expect(y).toHaveLength(1);
        expect(c).toContain(y[0]);
        // 'a' is the skewed column: every candidate holding it conditions on it.
        if (c.includes('a')) expect(y).toEqual(['a']);
      });
    }
  });

  it('expectedMarginError: sqrt(2/π)·sigma·|a| from a 1-way; a pair adds its margin\'s precision; Infinity when unmeasured', () => {
    const one = { attrs: ['a'], values: new Float64Array(3), stddev: 10 };
    const pair = { attrs: ['a', 'e'], values: new Float64Array(12), stddev: 10 };
    expect(expectedMarginError(domain, [one], 'a')).toBeCloseTo(Math.sqrt(2 / Math.PI) * 10 * 3, 9);
    // The pair's margin of a: per-cell variance 100·12/3 = 400; combined 1/(1/100 + 1/400) = 80.
    expect(expectedMarginError(domain, [one, pair], 'a')).toBeCloseTo(Math.sqrt(2 / Math.PI) * Math.sqrt(80) * 3, 9);
    expect(expectedMarginError(domain, [one], 'b')).toBe(Infinity);
    expect(knowsDependence([['a', 'b', 'c']], ['b', 'c', 'a'], 'a')).toBe(true);
    expect(knowsDependence([['a', 'b']], ['b', 'c'], 'a')).toBe(false);
  });

  it('selfConditionFor: the member with the largest skew (ties: the first), nothing for a 1-way', () => {
    const skew = [5, 9, 1, 9, -3];
    expect(selfConditionFor(domain, ['a', 'c'], skew)).toEqual(['a']);
    expect(selfConditionFor(domain, ['a', 'b', 'd'], skew)).toEqual(['b']);
    expect(selfConditionFor(domain, ['c', 'd', 'e'], skew)).toEqual(['d']);
    expect(selfConditionFor(domain, ['b'], skew)).toEqual([]);
  });

  it('why self-conditioning: the pair {b, e} conditioned on its skewed member b is not inflated before the model knows {a, b}', async () => {
    // As above: parties split on a, b = a (90%), e independent; model = independence of the 1-ways.
    // Conditioned on Y = a the parties' errors inflate; conditioned on b, each party's reference
    // c_i(b)·q(e | b) = c_i(b)·q(e) follows its own b-skew and leaves only sampling noise.
    const parts = splitParties(table, 4, { dirichlet: 0.05, column: 'a' }, seededRandomSource('skew', 'test/split'));
    const joint = (attrs: string[]): number[] => {
      const out = new Array<number>(domain.size(attrs)).fill(0);
      for (let i = 0; i < table.rowCount; i++) out[attrs.reduce((idx, a) => idx * domain.sizeOf(a) + table.columns[domain.indexOf(a)][i], 0)]++;
      return out;
    };
    const [pa, pb, pe] = [joint(['a']), joint(['b']), joint(['e'])];
    const n = table.rowCount;
    const qabe: number[] = [];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) for (let e = 0; e < 4; e++) qabe.push((pa[a] * pb[b] * pe[e]) / (n * n));
    const qbe: number[] = [];
    for (let b = 0; b < 3; b++) for (let e = 0; e < 4; e++) qbe.push((pb[b] * pe[e]) / n);
    let onY = 0;
    let onB = 0;
    for (const p of parts) {
      const src = new InMemoryMarginalSource(p);
      onY += (await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: [['b', 'e']], conditions: [['a']], reference: [qabe], samplingCorrection: true }, src, domain))[0];
      onB += (await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: [['b', 'e']], conditions: [['b']], reference: [qbe], samplingCorrection: true }, src, domain))[0];
    }
    expect(onY).toBeGreaterThan(0.2 * n);
    expect(Math.abs(onB)).toBeLessThan(0.05 * n);
  });

  it('why the joint condition: {c, d} (d = a + c mod 3) conditioned on {a, c} is not inflated once the model knows {a, c, d}; on c alone it is', async () => {
    // Parties split on a. Across the consortium c and d are independent (a is uniform); within a
    // party of one value of a, d is a function of c. With the true joint q(a, c, d) as the model, the
    // self-conditioned reference c_i(c)·q(d | c) = c_i(c)·q(d) misses the party's own dependence
    // (its error is the skew on a), while Σ c_i(c, a)·q(d | c, a) follows it.
    const parts = splitParties(table, 4, { dirichlet: 0.05, column: 'a' }, seededRandomSource('skew', 'test/split'));
    const joint = (attrs: string[]): number[] => {
      const out = new Array<number>(domain.size(attrs)).fill(0);
      for (let i = 0; i < table.rowCount; i++) out[attrs.reduce((idx, a) => idx * domain.sizeOf(a) + table.columns[domain.indexOf(a)][i], 0)]++;
      return out;
    };
    const [qacd, qcd] = [joint(['a', 'c', 'd']), joint(['c', 'd'])];
    const n = table.rowCount;
    let onAC = 0;
    let onC = 0;
    for (const p of parts) {
      const src = new InMemoryMarginalSource(p);
      onAC += (await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: [['c', 'd']], conditions: [['a', 'c']], reference: [qacd], samplingCorrection: true, multinomialFloor: true }, src, domain))[0];
      onC += (await evaluateLocalQuery({ kind: 'conditionalL1Scores', candidates: [['c', 'd']], conditions: [['c']], reference: [qcd], samplingCorrection: true, multinomialFloor: true }, src, domain))[0];
    }
    expect(onC).toBeGreaterThan(0.2 * n);
    expect(Math.abs(onAC)).toBeLessThan(0.05 * n);
  });

  it('jointConditionFor: [Y] when Y is a member, else the most skewed member and Y in domain order, [member] when r ∪ Y is too large', () => {
    const skew = [5, 9, 1, 9, -3];
    expect(jointConditionFor(domain, ['a', 'c'], skew, 'a', 1000)).toEqual(['a']);
    expect(jointConditionFor(domain, ['b', 'd'], skew, 'a', 1000)).toEqual(['a', 'b']);
    expect(jointConditionFor(domain, ['c', 'd', 'e'], skew, 'b', 1000)).toEqual(['b', 'd']);
    expect(jointConditionFor(domain, ['c', 'e'], skew, 'b', 1000)).toEqual(['b', 'c']);
    // {c, d, e} ∪ {b}: 3·3·4·3 = 108 cells.
    expect(jointConditionFor(domain, ['c', 'd', 'e'], skew, 'b', 107)).toEqual(['d']);
    expect(jointConditionFor(domain, ['c'], skew, 'b', 1000)).toEqual([]);
    // With the model's cliques (jointConditionUnknown): the most skewed member whose pair with Y no
    // clique holds; with none left, Y alone.
    expect(jointConditionFor(domain, ['b', 'd'], skew, 'a', 1000, [['a', 'b', 'c']])).toEqual(['a', 'd']);
    expect(jointConditionFor(domain, ['b', 'd'], skew, 'a', 1000, [['a', 'b'], ['a', 'd', 'e']])).toEqual(['a']);
    expect(jointConditionFor(domain, ['b', 'd'], skew, 'a', 1000, [['b', 'd']])).toEqual(['a', 'b']);
  });

  /** The conditions AIM's score releases send on the skewed oracle (split on a), with `opts`. */
  const selectQueries = async (opts: Partial<AimEpochOptions>): Promise<{ queries: LocalQuery[]; condition: string | undefined; charged: number }> => {
    const { oracle, charges } = skewedOracle();
    const queries: LocalQuery[] = [];
    const spy: FederatedOracle = {
      domain: oracle.domain,
      secureSum: (query, rho, label) => {
        if (label.startsWith('aim/select/')) queries.push(query);
        return oracle.secureSum(query, rho, label);
      },
      measure: (sets, rho, label, recode) => oracle.measure(sets, rho, label, recode),
    };
    const res = await aim(spy, { rho: 1, iters: 50, rounds: 10, epochs: 3, ...opts });
    return { queries, condition: res.condition, charged: charges.reduce((s, c) => s + c.rho, 0) };
  };

  it('the default is the joint condition with the Poisson floor: every candidate of a score release conditions on Y (and on its most skewed member when Y is not in it); the charges sum to rho', async () => {
    // Session 11 made `joint` the default (docs/synthesis.md "The joint condition as the default"):
    // with the default left out, the releases are exactly those of `heterogeneity: 'joint'`.
    const { queries, condition, charged } = await selectQueries({});
    expect(condition).toBe('a');
    expect(charged).toBeCloseTo(1, 9);
    expect(queries.length).toBeGreaterThanOrEqual(1);
    for (const query of queries) {
      if (query.kind !== 'conditionalL1Scores') throw new Error(`unexpected ${query.kind}`);
      expect(query.samplingCorrection).toBe(true);
      expect(query.multinomialFloor).toBeUndefined(); // defaultMultinomialFloor('joint')
      query.candidates.forEach((c, k) => {
        const y = query.conditions[k];
        expect(c.length).toBeGreaterThanOrEqual(2);
        expect(y).toContain('a');
        expect(y).toHaveLength(c.includes('a') ? 1 : 2);
        expect(domain.isCanonical(y)).toBe(true);
      });
    }
    const explicit = await selectQueries({ heterogeneity: 'joint' });
    expect(explicit.queries.map((q) => (q.kind === 'conditionalL1Scores' ? q.conditions : []))).toEqual(queries.map((q) => (q.kind === 'conditionalL1Scores' ? q.conditions : [])));
    // Session 10's joint mode (the multinomial floor) stays selectable; `selfCondition` keeps it by default.
    expect(defaultMultinomialFloor('joint')).toBe(false);
    expect(defaultMultinomialFloor('selfCondition')).toBe(true);
    const exact = await selectQueries({ heterogeneity: 'joint', multinomialFloor: true });
    for (const q of exact.queries) expect(q.kind === 'conditionalL1Scores' && q.multinomialFloor).toBe(true);
  });

  it("heterogeneity: 'condition' (the default before session 11) still conditions every reference on Y alone, 1-ways included, Poisson floor", async () => {
    const { queries, condition } = await selectQueries({ heterogeneity: 'condition' });
    expect(condition).toBe('a');
    expect(queries.length).toBeGreaterThanOrEqual(1);
    for (const query of queries) {
      if (query.kind !== 'conditionalL1Scores') throw new Error(`unexpected ${query.kind}`);
      expect(query.multinomialFloor).toBeUndefined();
      query.conditions.forEach((y) => expect(y).toEqual(['a']));
    }
    expect(queries[0].kind === 'conditionalL1Scores' && queries[0].candidates.some((c) => c.length === 1)).toBe(true);
  });

  it('one party: the probe finds no column — its entries are the fitted model\'s own 1-way error, which the threshold allows for', async () => {
    // A 40-value column x, 5,000 rows, rho 0.01: sigma0 = sqrt(16·4/(1.8·0.01)) ≈ 60, so the model
    // errs by ~sqrt(2/π)·60 ≈ 48 per cell of x (~1,900 in all, beyond the sampling floor ~360),
    // against 3 probe stddevs ≈ 900: without the allowance x is "found".
    const n = 5000;
    const dom = new Domain(['x', 'p', 'q', 'r'], [40, 2, 3, 2]);
    const rng = seededRandomSource('one-party', 'test/rows');
    const cols = dom.shape.map((k) => Int32Array.from({ length: n }, () => uniformInt(rng, k)));
    const oracle = new InProcessOracle({ domain: dom, parties: [new InMemoryMarginalSource(new EncodedTable(dom, cols))], seed: 'one-party' });
    const res = await aim(oracle, { rho: 0.01, iters: 50, epochs: 1 });
    expect(res.condition).toBeUndefined();
  });

  it('IID parties: the probe finds no significant heterogeneity (3-sigma rule, ~1e-3 false-positive rate per column; fixed seed)', async () => {
    const { oracle } = testOracle(table, 4, 'iid');
    const res = await aim(oracle, { rho: 1, iters: 50, rounds: 10, epochs: 2 });
    expect(res.condition).toBeUndefined();
  });
});

describe('chooseBatch', () => {
  const cands = aimCandidates(domain, [['a', 'b', 'c'], ['a', 'd', 'e'], ['b', 'c', 'd']]);
  const scoreOf = (attrs: string[]): number => ({ 'a,b,c': 5000, 'a,b': 4900, 'b,d': 3000, 'a,e': 2000 } as Record<string, number>)[attrs.join()] ?? 0;
  it('skips subsets and two-attribute overlaps of earlier picks, and stops at non-positive scores', () => {
    const got = chooseBatch(domain, domain.attrs.map((a) => [a]), cands, cands.map((c) => scoreOf(c.attrs)), { rhoMeas: 10, sizeLimitMB: 80 });
    expect(got.map((c) => c.join())).toEqual(['a,b,c', 'b,d', 'a,e']);
  });
  it('a small measurement budget (large sigma) favours small marginals and a smaller batch', () => {
    // rho_meas 2e-5: sigma_1 = 158 (bias 126/cell) puts a,b (9 cells) above a,b,c (27 cells);
    // b = 2 (sigma 224) has the largest total; at b = 3 (sigma 274) a,e turns negative.
    const got = chooseBatch(domain, domain.attrs.map((a) => [a]), cands, cands.map((c) => scoreOf(c.attrs)), { rhoMeas: 2e-5, sizeLimitMB: 80, kappa: 1 });
    expect(got.map((c) => c.join())).toEqual(['a,b', 'b,d']);
  });
  it('a model already above the size bound still takes candidates inside its cliques: the batch is not cut to one', () => {
    // Cliques {a,b,c} and {c,d,e} (27 + 36 = 63 cells) against a bound of 50 cells: no set of
    // picks passes the size check, but the subsets of the cliques add nothing to the model.
    const cliques = [['a', 'b', 'c'], ['c', 'd', 'e']];
    const limitMB = 50 * MB_PER_CELL;
    const got = chooseBatch(domain, cliques, cands, cands.map((c) => scoreOf(c.attrs)), { rhoMeas: 10, sizeLimitMB: limitMB });
    // a,b,c first (the first pick is never size-checked); b,d and a,e lie outside every clique:
    // refused (a,b is redundant with a,b,c).
    expect(got.map((c) => c.join())).toEqual(['a,b,c']);
    // Two scored subsets of {c,d,e} (sharing one attribute: not redundant) join the batch.
    const inside = (attrs: string[]): number => scoreOf(attrs) || ({ 'c,d': 2500, 'd,e': 2400 } as Record<string, number>)[attrs.join()] || 0;
    const got2 = chooseBatch(domain, cliques, cands, cands.map((c) => inside(c.attrs)), { rhoMeas: 10, sizeLimitMB: limitMB });
    expect(got2.map((c) => c.join())).toEqual(['a,b,c', 'c,d', 'd,e']);
  });
  it('the denoising factor scales the noise term: at half of it the same budget buys a larger batch', () => {
    const half = chooseBatch(domain, domain.attrs.map((a) => [a]), cands, cands.map((c) => scoreOf(c.attrs)), { rhoMeas: 2e-5, sizeLimitMB: 80, kappa: 0.5 });
    // b = 3 (sigma 274): a,e (9 cells) keeps 2000 − 0.5·0.798·274·9 ≈ 1016 > 0, where with the
    // raw-noise term (factor 1) it turned negative.
    expect(half.map((c) => c.join())).toEqual(['a,b', 'b,d', 'a,e']);
  });
});

describe('measurement split by cells (rho ∝ cells^(2/3))', () => {
  const dom = new Domain(['x', 'y', 'z', 'w'], [2, 2, 16, 16]);
  const cand = (attrs: string[]): { attrs: string[]; weight: number; cells: number } => ({ attrs, weight: 1, cells: dom.size(attrs) });
  it('cellsSplit: groups by factor-8 cell bins, rho sums to the batch budget, sigma·cells^(1/3) equal across groups', () => {
    const sets = [['x', 'y'], ['z', 'w'], ['x', 'z', 'w'], ['y', 'z', 'w']];
    const groups = cellsSplit(dom, sets, 0.3);
    // 4 cells (bin 0), 256 (bin 2), 512 and 512 (bin 3), smallest first.
    expect(groups.map((g) => g.sets.map((x) => x.join()))).toEqual([['x,y'], ['z,w'], ['x,z,w', 'y,z,w']]);
    expect(groups.reduce((a, g) => a + g.rho, 0)).toBeCloseTo(0.3, 12);
    const scaled = groups.map((g) => Math.sqrt(g.sets.length / (2 * g.rho)) * Math.cbrt(dom.size(g.sets[0])));
    for (const v of scaled) expect(v).toBeCloseTo(scaled[0], 9);
  });
  it('chooseBatch: where an equal split cannot afford a small pair beside a large one, the cells split measures both', () => {
    // rho_meas 0.005 (sigma_1 = 10), raw-noise factor 1. Equal: b = 1 takes z,w (2600 − 0.798·10·256
    // ≈ 557); at b = 2 (sigma 14.1) z,w turns negative. Cells, b = 2: S = 4^(2/3) + 256^(2/3) = 42.8,
    // z,w keeps 2600 − 0.798·sqrt(42.8/0.01)·40.3 ≈ 495 and x,y 400 − 0.798·65.4·2.52 ≈ 268: 763 > 557.
    const pool = [cand(['x', 'y']), cand(['z', 'w'])];
    const scores = [400, 2600];
    const cliques = dom.attrs.map((a) => [a]);
    expect(chooseBatch(dom, cliques, pool, scores, { rhoMeas: 0.005, sizeLimitMB: 80, kappa: 1, split: 'equal' })).toEqual([['z', 'w']]);
    expect(chooseBatch(dom, cliques, pool, scores, { rhoMeas: 0.005, sizeLimitMB: 80, kappa: 1, split: 'cells' })).toEqual([['z', 'w'], ['x', 'y']]);
  });
  it('equal cell counts: the cells split chooses as the equal one', () => {
    const cands = aimCandidates(domain, [['a', 'b', 'c'], ['a', 'd', 'e'], ['b', 'c', 'd']]).filter((c) => c.cells === 9);
    const scores = cands.map((_, k) => 1000 - 90 * k);
    const cliques = domain.attrs.map((a) => [a]);
    expect(chooseBatch(domain, cliques, cands, scores, { rhoMeas: 2e-4, sizeLimitMB: 80, kappa: 1, split: 'cells' })).toEqual(chooseBatch(domain, cliques, cands, scores, { rhoMeas: 2e-4, sizeLimitMB: 80, kappa: 1, split: 'equal' }));
  });
  it('AIM with the cells split spends exactly rho, one release per cell bin', async () => {
    const n = 4000;
    const rng = seededRandomSource('cells-split', 'test/rows');
    const z = Int32Array.from({ length: n }, () => uniformInt(rng, 16));
    const cols = [Int32Array.from(z, (v) => v % 2), Int32Array.from({ length: n }, () => uniformInt(rng, 2)), z, Int32Array.from(z, (v) => (v + uniformInt(rng, 3)) % 16)];
    const charges: RhoCharge[] = [];
    const oracle = new InProcessOracle({ domain: dom, parties: [new InMemoryMarginalSource(new EncodedTable(dom, cols))], seed: 'cells-split', onCharge: (c) => charges.push(c) });
    const res = await aim(oracle, { rho: 0.5, iters: 50, epochs: 2, measurementSplit: 'cells' });
    expect(charges.reduce((a, c) => a + c.rho, 0)).toBeCloseTo(0.5, 12);
    expect(res.rhoUsed).toBeCloseTo(0.5, 12);
    // Each measurement release holds sets of one cell bin.
    const measures = charges.filter((c) => c.label.startsWith('aim/measure/'));
    expect(measures.length).toBeGreaterThan(0);
    for (const m of res.measurements.filter((x) => x.attrs.length > 1)) {
      const same = res.measurements.filter((x) => x.stddev === m.stddev && x.attrs.length > 1);
      for (const o of same) expect(Math.floor(Math.log2(o.values.length) / 3)).toBe(Math.floor(Math.log2(m.values.length) / 3));
    }
  });
});

describe('path redundancy within a batch', () => {
  it('linkedByPicks: a pair joined by one pick or through one third column; a triple when all its pairs are', () => {
    const picks = [['a', 'b'], ['b', 'c'], ['d', 'e']];
    expect(linkedByPicks(picks, ['a', 'c'])).toBe(true); // a–b–c
    expect(linkedByPicks(picks, ['a', 'b'])).toBe(true);
    expect(linkedByPicks(picks, ['a', 'd'])).toBe(false);
    expect(linkedByPicks([['a', 'b'], ['b', 'c'], ['c', 'd']], ['a', 'd'])).toBe(false); // two steps away
    expect(linkedByPicks(picks, ['a', 'b', 'c'])).toBe(true);
    expect(linkedByPicks(picks, ['a', 'c', 'd'])).toBe(false);
  });
  it('chooseBatch: a sibling pair scored before its parent edges were measured is left to the next epoch', () => {
    // a–b and b–c planted (scores 5000), a–c dependent only through b (3000).
    const cands = aimCandidates(domain, [['a', 'b'], ['b', 'c'], ['a', 'c']]).filter((c) => c.attrs.length === 2);
    const scores = cands.map((c) => ({ 'a,b': 5000, 'b,c': 5000, 'a,c': 3000 } as Record<string, number>)[c.attrs.join()]);
    const cliques = domain.attrs.map((a) => [a]);
    expect(chooseBatch(domain, cliques, cands, scores, { rhoMeas: 10, sizeLimitMB: 80 }).map((c) => c.join())).toEqual(['a,b', 'b,c', 'a,c']);
    expect(chooseBatch(domain, cliques, cands, scores, { rhoMeas: 10, sizeLimitMB: 80, split: 'equal', link: 'paths' }).map((c) => c.join())).toEqual(['a,b', 'b,c']);
  });
});

describe('first batch as a spanning forest (Chow-Liu)', () => {
  const dom = new Domain(['a', 'x', 'b', 'z', 'u', 'v'], [4, 4, 4, 4, 4, 4]);
  const pairsOf = (attrs: readonly string[]): AimCandidate[] => {
    const out: AimCandidate[] = [];
    for (let i = 0; i < attrs.length; i++) for (let j = i + 1; j < attrs.length; j++) out.push({ attrs: [attrs[i], attrs[j]], weight: 1, cells: 16 });
    return out;
  };
  const oneWays = dom.attrs.map((a) => [a]);
  /** Whether the pairs hold a cycle: a graph is a forest iff edges = vertices − components. */
  const hasCycle = (edges: readonly (readonly string[])[]): boolean => {
    const adj = new Map<string, string[]>();
    for (const [p, q] of edges) {
      adj.set(p, [...(adj.get(p) ?? []), q]);
      adj.set(q, [...(adj.get(q) ?? []), p]);
    }
    const seen = new Set<string>();
    let components = 0;
    for (const v of adj.keys()) {
      if (seen.has(v)) continue;
      components++;
      const stack = [v];
      while (stack.length > 0) {
        const w = stack.pop() as string;
        if (seen.has(w)) continue;
        seen.add(w);
        stack.push(...(adj.get(w) ?? []));
      }
    }
    return edges.length !== adj.size - components;
  };
  it('AttributeForest: joins and cycle tests, a triple closing a cycle through two of its members', () => {
    const f = new AttributeForest();
    f.join(['a', 'b']);
    f.join(['c', 'd']);
    expect(f.closesCycle(['a', 'c'])).toBe(false);
    expect(f.closesCycle(['a', 'b'])).toBe(true);
    f.join(['b', 'c']);
    expect(f.closesCycle(['a', 'd'])).toBe(true); // a–b–c–d: three steps
    expect(f.closesCycle(['d', 'e', 'a'])).toBe(true);
    expect(f.closesCycle(['e', 'g'])).toBe(false);
  });
  it('on random gains the batch never holds a cycle and, with every gain large, is Kruskal\'s maximum spanning tree', () => {
    const pool = pairsOf(dom.attrs);
    const rng = seededRandomSource('forest', 'test/scores');
    for (let trial = 0; trial < 50; trial++) {
      // Half the trials with gains that the noise term makes negative for some pairs.
      const base = trial % 2 === 0 ? 1e6 : 0;
      const scores = pool.map(() => base + uniformInt(rng, 4000));
      const got = chooseBatch(dom, oneWays, pool, scores, { rhoMeas: 0.05, sizeLimitMB: 80, split: 'equal', link: 'forest' });
      expect(hasCycle(got)).toBe(false);
      expect(hasCycle(chooseBatch(dom, oneWays, pool, scores, { rhoMeas: 0.05, sizeLimitMB: 80 }))).toBe(true);
      if (base > 0) expect(got.map((c) => c.join())).toEqual(maximumSpanningTree(dom.attrs, pool.map((c) => [c.attrs[0], c.attrs[1]] as [string, string]), scores).map((c) => c.join()));
    }
  });
  it('planted chain a–x–b, noiseless scores: the forest measures a–x and x–b, not the pair a–b they explain', () => {
    // x copies a with prob. 0.8, b copies x with prob. 0.8 (else uniform); z independent.
    const n = 4000;
    const rng = seededRandomSource('chain', 'test/rows');
    const copy = (src: Int32Array): Int32Array => Int32Array.from(src, (v) => (uniformInt(rng, 5) < 4 ? v : uniformInt(rng, 4)));
    const a = Int32Array.from({ length: n }, () => uniformInt(rng, 4));
    const x = copy(a);
    const cols: Record<string, Int32Array> = { a, x, b: copy(x), z: Int32Array.from({ length: n }, () => uniformInt(rng, 4)) };
    const pool = pairsOf(['a', 'x', 'b', 'z']);
    // The exact L1 distance of each pair's counts from the independent model of its 1-ways.
    const scores = pool.map(({ attrs: [p, q] }) => {
      const joint = new Float64Array(16);
      const mp = new Float64Array(4);
      const mq = new Float64Array(4);
      for (let r = 0; r < n; r++) {
        joint[cols[p][r] * 4 + cols[q][r]]++;
        mp[cols[p][r]]++;
        mq[cols[q][r]]++;
      }
      let l1 = 0;
      for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) l1 += Math.abs(joint[i * 4 + j] - (mp[i] * mq[j]) / n);
      return l1;
    });
    const score = (k: string): number => scores[pool.findIndex((c) => c.attrs.join() === k)];
    expect(score('a,b')).toBeGreaterThan(1000); // a–b is strongly dependent, through x
    expect(score('a,b')).toBeLessThan(Math.min(score('a,x'), score('x,b')));
    const plain = chooseBatch(dom, oneWays, pool, scores, { rhoMeas: 0.5, sizeLimitMB: 80 }).map((c) => c.join());
    expect(plain).toContain('a,b');
    const forest = chooseBatch(dom, oneWays, pool, scores, { rhoMeas: 0.5, sizeLimitMB: 80, split: 'equal', link: 'forest' }).map((c) => c.join());
    expect(forest).toContain('a,x');
    expect(forest).toContain('x,b');
    expect(forest).not.toContain('a,b');
    // A pair the model's cliques already connect is not taken either.
    expect(chooseBatch(dom, [['a', 'x'], ['x', 'b'], ['z']], pool, scores, { rhoMeas: 0.5, sizeLimitMB: 80, split: 'equal', link: 'forest' }).map((c) => c.join())).not.toContain('a,b');
  });
  it('AIM with a forest first batch spends exactly rho', async () => {
    const { oracle, charges } = testOracle(table, 3, 'forest');
    const batches: (readonly (readonly string[])[])[] = [];
    const res = await aim(oracle, { rho: 1, iters: 50, epochs: 2, firstBatchForest: true, onRound: (r) => batches.push(r.chosen) });
    expect(charges.reduce((s, c) => s + c.rho, 0)).toBeCloseTo(1, 12);
    expect(res.rhoUsed).toBeCloseTo(1, 12);
    expect(batches[0].length).toBeGreaterThan(0);
    expect(hasCycle(batches[0].filter((c) => c.length === 2))).toBe(false);
  });
});

describe('significant picks', () => {
  it('significanceThreshold: z = Φ⁻¹(1 − 1/m) noise stddevs; none for a single score', () => {
    expect(significanceThreshold(1000, 10)).toBeCloseTo(30.902, 2); // Φ⁻¹(0.999) = 3.0902
    expect(significanceThreshold(2, 10)).toBeCloseTo(0, 9);
    expect(significanceThreshold(1, 10)).toBe(-Infinity);
  });
  it('chooseBatch: a few-cell candidate whose gain is positive but whose score is within the noise waits; the first pick never does', () => {
    const dom = new Domain(['p', 'q', 'r', 's'], [2, 2, 16, 16]);
    const pool: AimCandidate[] = [{ attrs: ['r', 's'], weight: 1, cells: 256 }, { attrs: ['p', 'q'], weight: 1, cells: 4 }];
    const scores = [9000, 500];
    const cliques = dom.attrs.map((a) => [a]);
    expect(chooseBatch(dom, cliques, pool, scores, { rhoMeas: 1, sizeLimitMB: 80 }).map((c) => c.join())).toEqual(['r,s', 'p,q']);
    expect(chooseBatch(dom, cliques, pool, scores, { rhoMeas: 1, sizeLimitMB: 80, split: 'equal', link: 'none', minScore: 600 }).map((c) => c.join())).toEqual(['r,s']);
    expect(chooseBatch(dom, cliques, pool, scores, { rhoMeas: 1, sizeLimitMB: 80, split: 'equal', link: 'none', minScore: 10000 }).map((c) => c.join())).toEqual(['r,s']);
  });
});

describe('conditionPairsToMeasure', () => {
  const pairs = aimCandidates(domain, [['a', 'b'], ['a', 'c'], ['a', 'd'], ['a', 'e']]).filter((c) => c.attrs.length === 2);
  it('keeps the pairs with a positive gain at sigma, largest first, at most maxBatch', () => {
    const sigma = 100; // noise term 0.5·sqrt(2/π)·100·cells ≈ 39.9 per cell
    const scores = pairs.map((c) => ({ 'a,b': 2000, 'a,c': 300, 'a,d': 3000, 'a,e': 100 } as Record<string, number>)[c.attrs.join()] ?? 0);
    expect(conditionPairsToMeasure(pairs, scores, sigma, 10)).toEqual([['a', 'd'], ['a', 'b']]);
    expect(conditionPairsToMeasure(pairs, scores, sigma, 1)).toEqual([['a', 'd']]);
    expect(conditionPairsToMeasure(pairs, scores, 1000, 10)).toEqual([]);
  });
});

describe('batchSizes', () => {
  it('every b up to 32 (all of them for tables of up to 16 columns), then ~25% steps ending at maxB', () => {
    expect(batchSizes(28)).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
    const wide = batchSizes(200);
    expect(wide.slice(0, 32)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    expect(wide[wide.length - 1]).toBe(200);
    for (let i = 33; i < wide.length; i++) expect(wide[i] / wide[i - 1]).toBeLessThanOrEqual(1.26);
    expect(wide.length).toBeLessThan(45);
  });
});
