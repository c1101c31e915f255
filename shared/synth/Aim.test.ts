// Tests for federated AIM: recovers a planted 3-way dependency, is reproducible, stays within
// budget (both selection paths), and handles the workload/candidate construction.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { aim, aimCandidates, kWaySets } from './Aim.js';
import { dependentTable, testOracle } from './testSupport.js';

const table = dependentTable(3000, 'aim');
const domain = table.domain;

describe('aimCandidates', () => {
  it('is the downward closure with weights sum_w |c ∩ w|', () => {
    const cands = aimCandidates(domain, [['a', 'b', 'c']]);
    expect(cands.length).toBe(7);
    expect(cands.find((c) => c.attrs.join() === 'a,b')?.weight).toBe(2);
    expect(kWaySets(domain, 3, 27).length).toBe(4); // only triples without e (3*3*3 = 27 cells)
  });
});

describe('aim', () => {
  for (const selection of ['localScores', 'measured'] as const) {
    it(`${selection}: recovers d = (a + c) mod 3 with 5 parties, within budget, reproducibly`, async () => {
      const run = async (): Promise<{ cols: Int32Array[]; charged: number; selected: string[] }> => {
        const { oracle, charges } = testOracle(table, 5, 'seed');
        const res = await aim(oracle, { rho: 2, iters: 100, rounds: 10, selection });
        return {
          cols: res.sample(3000, seededRandomSource('seed', 'coordinator/sample')),
          charged: charges.reduce((s, c) => s + c.rho, 0),
          selected: res.selected.map((s) => s.join()),
        };
      };
      const r = await run();
      expect(r.charged).toBeLessThanOrEqual(2 * (1 + 1e-9));
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
