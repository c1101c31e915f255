// studyCanaryAudit tests: whole studies (MST, AIM) on the real oracle and noise stay below the claimed
// epsilon at eps 1 and 4; the attack reads the output model; arguments are checked.
import { describe, expect, it } from 'vitest';
import { studyCanaryAudit, STUDY_AUDIT_THRESHOLDS } from './studyCanaryAudit.js';

// Each `lb < claim` fails only if the bound itself fails, which the union bound over the grid keeps
// below 1 - confidence = 5% per audit for a correct mechanism; the seeds are fixed, so each check is
// deterministic. The planted fault (noise halved) is studyCanaryAuditHalvedNoise.test.ts.
describe('studyCanaryAudit on the real oracle (seeded)', () => {
  for (const [mechanism, epsilon, runs] of [['mst', 1, 400], ['mst', 4, 2000], ['aim', 1, 200], ['aim', 4, 200]] as const) {
    it(`${mechanism} eps ${epsilon}: the whole-study bound stays below the claim (${runs} studies)`, async () => {
      const r = await studyCanaryAudit({ mechanism, epsilon, delta: 1e-6, runs, attack: 'model', seed: `study-audit-${mechanism}-${epsilon}` });
      process.stderr.write(`${JSON.stringify(r)}\n`);
      expect(r.trialsWith).toBe(runs / 2);
      expect(r.trialsWithout).toBe(runs / 2);
      expect(r.epsilonLowerBound).toBeLessThan(epsilon);
      // The attack sees the canary: its cell's expected count is higher with it than without.
      if (epsilon === 4) expect(r.meanScoreWith).toBeGreaterThan(r.meanScoreWithout);
    }, 600_000);
  }

  it('the threshold grid is fixed in advance: 64 points from 2^-10 up, each 2^(1/4) above the last', () => {
    expect(STUDY_AUDIT_THRESHOLDS).toHaveLength(64);
    expect(STUDY_AUDIT_THRESHOLDS[0]).toBe(2 ** -10);
    for (let k = 1; k < 64; k++) expect(STUDY_AUDIT_THRESHOLDS[k] / STUDY_AUDIT_THRESHOLDS[k - 1]).toBeCloseTo(2 ** 0.25, 12);
  });

  it('refuses an unknown mechanism, fewer than 2 runs and more than 6 columns', async () => {
    await expect(studyCanaryAudit({ mechanism: 'dpsgd' as 'mst', epsilon: 1, delta: 1e-6 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(studyCanaryAudit({ mechanism: 'mst', epsilon: 1, delta: 1e-6, runs: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(studyCanaryAudit({ mechanism: 'mst', epsilon: 1, delta: 1e-6, columns: 7 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(studyCanaryAudit({ mechanism: 'mst', epsilon: 0, delta: 1e-6 })).rejects.toMatchObject({ code: 'INVALID_PRIVACY_PARAMETER' });
  });
});
