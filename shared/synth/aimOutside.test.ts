// Tests for AIM's outside epoch: sets the size-bounded junction tree cannot hold are measured
// within the budget and reach the rows only through post-processing of released values.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { aim } from './Aim.js';
import { MB_PER_CELL } from './AimCandidates.js';
import { reweightRows, resampleRows } from './reweightRows.js';
import { dependentTable, testOracle } from '../../test/support/testOracle.js';

// d = (a + c) mod 3 (90%): every pair of a, c, d is independent, only the triple carries it.
const table = dependentTable(3000, 'outside');
const domain = table.domain;
// A model bound of 30 cells: 1-ways and a few pairs fit, no 27-cell triple does (with the 1-ways, 34).
const tiny = 30 * MB_PER_CELL;

function xorRate(cols: Int32Array[]): number {
  const [a, , c, d] = cols;
  let ok = 0;
  for (let i = 0; i < a.length; i++) if (d[i] === (a[i] + c[i]) % 3) ok++;
  return ok / a.length;
}

describe('aim outside epoch', () => {
  it('measures a triple outside the junction tree within the budget; the reweighted rows carry it', async () => {
    const run = async (outsideShare: number) => {
      const { oracle, charges } = testOracle(table, 5, 'seed');
      const res = await aim(oracle, { rho: 2, iters: 100, rounds: 10, maxModelSizeMB: tiny, outsideShare });
      return { res, charged: charges.reduce((s, c) => s + c.rho, 0) };
    };
    const base = await run(0);
    const { res, charged } = await run(0.25);
    expect(charged).toBeLessThanOrEqual(2 * (1 + 1e-9));
    expect(charged).toBeCloseTo(2, 9);
    expect(base.res.model.cliques.every((cl) => cl.length <= 2)).toBe(true);
    const outside = res.measurements.filter((m) => !res.model.cliques.some((cl) => m.attrs.every((x) => cl.includes(x))));
    expect(outside.map((m) => m.attrs.join())).toContain('a,c,d');
    // True rate 0.933; a model of pairs gives ~1/3, so does its sample without the outside epoch.
    expect(xorRate(base.res.sample(3000, seededRandomSource('s', 'coordinator/sample')))).toBeLessThan(0.45);
    expect(xorRate(res.sample(3000, seededRandomSource('s', 'coordinator/sample')))).toBeGreaterThan(0.8);
  });

  it('draws rows from the released model and measurements only (the same rows replayed from them)', async () => {
    const { oracle } = testOracle(table, 5, 'seed');
    const res = await aim(oracle, { rho: 2, iters: 100, rounds: 10, maxModelSizeMB: tiny, outsideShare: 0.25 });
    const got = res.sample(1000, seededRandomSource('s', 'coordinator/sample'));
    const rng = seededRandomSource('s', 'coordinator/sample');
    const pool = res.model.sample(4000, rng);
    const { weights } = reweightRows(domain, pool, res.measurements, { total: res.model.total, minEffectiveRows: 1000 });
    const replay = resampleRows(pool, weights, 1000, rng);
    expect(got.map((c) => [...c])).toEqual(replay.map((c) => [...c]));
  });
});
