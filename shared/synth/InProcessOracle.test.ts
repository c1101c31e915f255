// Tests for InProcessOracle and evaluateLocalQuery: sums of per-party answers plus per-party
// noise from the documented streams, sensitivities, recoding, validation, tiny parties.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { InMemoryMarginalSource } from '../data/InMemoryMarginalSource.js';
import { splitParties } from '../data/splitParties.js';
import { countMarginals } from '../data/countMarginals.js';
import { evaluateLocalQuery } from './evaluateLocalQuery.js';
import { localQuerySensitivity, type LocalQuery } from './LocalQuery.js';
import { InProcessOracle } from './InProcessOracle.js';
import { planDistributedDiscreteGaussian } from '../dp/mechanisms/distributedDiscreteGaussian.js';
import { sampleDiscreteGaussian } from '../dp/samplers/DiscreteGaussianSampler.js';
import { PrivacyAccountant } from '../dp/accounting/PrivacyAccountant.js';
import { dependentTable } from '../../test/support/testOracle.js';

const table = dependentTable(300, 'oracle');
const domain = table.domain;
const parts = splitParties(table, 4, { dirichlet: 0.1, column: 'a' }, seededRandomSource('t', 'split'));
const sources = parts.map((p) => new InMemoryMarginalSource(p));

describe('InProcessOracle', () => {
  it('returns the sum of per-party answers plus each party\'s noise from party/<i>/noise', async () => {
    for (const [colluders, dropouts] of [[0, 0], [1, 1]]) {
      const query: LocalQuery = { kind: 'marginals', attrSets: [['a'], ['b', 'd']] };
      const oracle = new InProcessOracle({ domain, parties: sources, colluders, dropouts, seed: 'S' });
      const got = await oracle.secureSum(query, 0.5, 'test');
      const plan = planDistributedDiscreteGaussian({ rho: 0.5, l2Sensitivity: Math.sqrt(2), parties: 4, colluders, dropouts });
      expect(plan.privacyMap(Math.sqrt(2))).toBeLessThanOrEqual(0.5);
      const exp = new Float64Array(got.values.length);
      for (let i = 0; i < 4; i++) {
        const v = await evaluateLocalQuery(query, sources[i], domain);
        const rng = seededRandomSource('S', `party/${i}/noise`);
        v.forEach((x, k) => (exp[k] += x + sampleDiscreteGaussian(plan.perPartySigma2, rng)));
      }
      expect([...got.values]).toEqual([...exp]);
      expect(got.stddev).toBeCloseTo(Math.sqrt(4 * plan.perPartySigma2), 12);
    }
  });

  it('charges every release with its rho and L2 sensitivity; rejects bad rho', async () => {
    const charges: number[] = [];
    const accountant = new PrivacyAccountant(0.3);
    const oracle = new InProcessOracle({ domain, parties: sources, seed: 'S', accountant, onCharge: (c) => charges.push(c.rho, c.l2Sensitivity) });
    const ms = await oracle.measure([['a'], ['c'], ['a', 'e']], 0.25, 'm');
    expect(ms.map((m) => m.values.length)).toEqual([3, 3, 12]);
    expect(charges).toEqual([0.25, Math.sqrt(3)]);
    expect(accountant.charges).toEqual([{ label: 'm', rho: 0.25 }]);
    // the parties' budget refuses a release that would overspend it, before anyone computes
    await expect(oracle.secureSum({ kind: 'marginals', attrSets: [['a']] }, 0.1, 'over')).rejects.toThrow(/budget exceeded/);
    expect(charges.length).toBe(2);
    await expect(oracle.secureSum({ kind: 'marginals', attrSets: [['a']] }, 0, 'x')).rejects.toThrow(/rho/);
    await expect(oracle.secureSum({ kind: 'marginals', attrSets: [['b', 'a']] }, 1, 'x')).rejects.toThrow(/domain order/);
  });
});

describe('evaluateLocalQuery', () => {
  it('l1Scores equals round(||counts - n p||_1) and changes by at most 2 per entry when a record is added', async () => {
    const cands = [['a', 'b'], ['c'], ['a', 'c', 'd']];
    const oneWays = domain.shape.map((n) => Array.from({ length: n }, () => 1 / n));
    const q: LocalQuery = { kind: 'l1Scores', candidates: cands, oneWays };
    expect(localQuerySensitivity(q)).toBeCloseTo(2 * Math.sqrt(3), 12);
    const small = table.select([0, 1, 2, 3, 4]);
    const counts = countMarginals(small, domain, cands);
    const got = await evaluateLocalQuery(q, new InMemoryMarginalSource(small), domain);
    counts.forEach((c, k) => expect(got[k]).toBe(Math.round(c.reduce((s, x) => s + Math.abs(x - 5 / c.length), 0))));
    for (let r = 5; r < 60; r++) {
      const bigger = await evaluateLocalQuery(q, new InMemoryMarginalSource(table.select([0, 1, 2, 3, 4, r])), domain);
      bigger.forEach((v, k) => expect(Math.abs(v - got[k])).toBeLessThanOrEqual(2));
    }
  });

  it('l1Scores with samplingCorrection changes by at most 3 per entry when a record is added', async () => {
    const cands = [['a', 'b', 'c'], ['e'], ['a', 'c', 'd', 'e']];
    const oneWays = domain.shape.map((n) => Array.from({ length: n }, (_, i) => (i % 3) + 0.01));
    const q: LocalQuery = { kind: 'l1Scores', candidates: cands, oneWays, samplingCorrection: true };
    expect(localQuerySensitivity(q)).toBeCloseTo(3 * Math.sqrt(3), 12);
    for (const size of [0, 1, 2, 5, 40]) {
      const rows = Array.from({ length: size }, (_, i) => i);
      const base = await evaluateLocalQuery(q, new InMemoryMarginalSource(table.select(rows)), domain);
      for (let r = 50; r < 80; r++) {
        const v = await evaluateLocalQuery(q, new InMemoryMarginalSource(table.select([...rows, r])), domain);
        v.forEach((x, k) => expect(Math.abs(x - base[k])).toBeLessThanOrEqual(3));
      }
    }
  });

  it('recoding merges cells before release', async () => {
    const recode = [{ attr: 'e', map: [0, 1, 1, 1], size: 2 }];
    const got = await evaluateLocalQuery({ kind: 'marginals', attrSets: [['a', 'e']], recode }, new InMemoryMarginalSource(table), domain);
    const raw = countMarginals(table, domain, [['a', 'e']])[0];
    for (let a = 0; a < 3; a++) {
      expect(got[a * 2]).toBe(raw[a * 4]);
      expect(got[a * 2 + 1]).toBe(raw[a * 4 + 1] + raw[a * 4 + 2] + raw[a * 4 + 3]);
    }
  });

  it('a one-row party answers without error', async () => {
    const one = new InMemoryMarginalSource(table.select([7]));
    const v = await evaluateLocalQuery({ kind: 'l1Scores', candidates: [['a']], oneWays: domain.shape.map((n) => new Array<number>(n).fill(0)) }, one, domain);
    expect(v[0]).toBe(1);
  });
});
