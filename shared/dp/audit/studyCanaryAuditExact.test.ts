// studyCanaryAuditExact tests: the fast audit's statistic has the distribution of real MST / fixed-batch AIM
// studies' transcript statistic (two-sample KS); its bound stays below the claim at eps 1 and 4 with correct noise.
import { describe, expect, it } from 'vitest';
import { studyCanaryAudit } from './studyCanaryAudit.js';
import { EXACT_AIM_OPTIONS, studyCanaryAuditExact } from './studyCanaryAuditExact.js';
import { RecordingOracle, canaryTranscriptScore } from './canaryTranscript.js';
import { BACKGROUND_CODES, studyAuditTables } from './studyCanaryAudit.js';
import { InProcessOracle } from '../../synth/InProcessOracle.js';
import { mst } from '../../synth/Mst.js';
import { aim } from '../../synth/Aim.js';
import { rhoFromEpsilon } from '../accounting/cdpConversion.js';

/** Two-sample Kolmogorov-Smirnov distance between two samples. */
function ksDistance(a: readonly number[], b: readonly number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const t = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= t) i++;
    while (j < y.length && y[j] <= t) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

// Trials per side of the fast audit in CI; docs/privacy.md gives the larger measurements.
const TRIALS = 2_000_000;

describe.each(['mst', 'aim'] as const)('studyCanaryAuditExact (%s)', (mechanism) => {
  it('draws the statistic real studies give: KS distance below the alpha = 1e-4 critical value on each side', async () => {
    // At eps 16 the canary's shift is large (sqrt(I) ~ 1.8), so a wrong profile (a release left
    // out, a wrong stddev) moves the "with" side by half a deviation or more: KS sees it. The
    // critical value c(alpha) sqrt((n + m) / (n m)), c = sqrt(-ln(alpha / 2) / 2), bounds the
    // false-positive rate by 1e-4 per side (2e-4 for the test); the seeds are fixed.
    const epsilon = 16;
    const rho = rhoFromEpsilon(epsilon, 1e-6);
    const studies = mechanism === 'mst' ? 300 : 200;
    const { domain, parties, background } = studyAuditTables(3, 3, 100);
    const real: { with: number[]; without: number[] } = { with: [], without: [] };
    for (let s = 0; s < 2 * studies; s++) {
      const oracle = new RecordingOracle(new InProcessOracle({ domain, parties: parties(s % 2 === 0), seed: `exactness/${s}` }));
      if (mechanism === 'mst') await mst(oracle, { rho, iters: 20 });
      else await aim(oracle, { rho, iters: 20, ...EXACT_AIM_OPTIONS });
      (s % 2 === 0 ? real.with : real.without).push(canaryTranscriptScore(oracle.released, background, BACKGROUND_CODES).z);
      await new Promise((resolve) => setTimeout(resolve, 0)); // serve the test runner's RPC between studies
    }
    const fast = await studyCanaryAuditExactSamples(mechanism, epsilon, 20_000);
    const critical = (n: number, m: number): number => Math.sqrt(-Math.log(1e-4 / 2) / 2) * Math.sqrt((n + m) / (n * m));
    const dWith = ksDistance(real.with, fast.with);
    const dWithout = ksDistance(real.without, fast.without);
    process.stderr.write(`${JSON.stringify({ dWith, dWithout, critical: critical(studies, 20_000) })}\n`);
    expect(dWith).toBeLessThan(critical(studies, 20_000));
    expect(dWithout).toBeLessThan(critical(studies, 20_000));
    // The statistic sees the canary in the real studies as in the fast draw: mean shift sqrt(I).
    const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
    expect(mean(real.with) - mean(real.without)).toBeGreaterThan(1.2);
  }, 600_000);

  for (const epsilon of [1, 4]) {
    it(`eps ${epsilon}, correct noise: the bound stays below the claim (${TRIALS} trials per side)`, async () => {
      // lb > claim for a correct mechanism has probability < 1 - confidence = 5% (the audit's
      // false-positive rate); the seed is fixed, so the outcome is deterministic.
      const r = await studyCanaryAuditExact({ mechanism, epsilon, delta: 1e-6, trials: TRIALS, seed: `exact-audit-${mechanism}-${epsilon}` });
      process.stderr.write(`${JSON.stringify({ ...r, profile: undefined })}\n`);
      expect(r.profile.map((p) => [p.label, p.cells])).toEqual(
        mechanism === 'mst' ? [['mst/oneway', 3], ['mst/measure', 2]] : [['aim/oneway', 3], ['aim/measure/1', 1], ['aim/measure/2', 1], ['aim/measure/3', 1]],
      );
      expect(r.epsilonLowerBound).toBeLessThan(epsilon);
      expect(r.epsilonLowerBound).toBeGreaterThan(0.25 * epsilon); // the attack is not toothless
    }, 900_000);
  }

});

describe('studyCanaryAuditExact arguments', () => {
  it('refuses bad arguments', async () => {
    await expect(studyCanaryAuditExact({ mechanism: 'dpsgd' as 'mst', epsilon: 1, delta: 1e-6 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(studyCanaryAuditExact({ mechanism: 'mst', epsilon: 1, delta: 1e-6, profileStudies: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(studyCanaryAuditExact({ mechanism: 'mst', epsilon: 1, delta: 1e-6, trials: 0 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(studyCanaryAudit({ mechanism: 'mst', epsilon: 1, delta: 1e-6, attack: 'x' as 'model' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

/** The fast audit's own draws of z (it returns only counts), by the same path with a small trial count. */
async function studyCanaryAuditExactSamples(mechanism: 'mst' | 'aim', epsilon: number, trials: number): Promise<{ with: number[]; without: number[] }> {
  const r = await studyCanaryAuditExact({ mechanism, epsilon, delta: 1e-6, trials, seed: 'exactness/fast', iters: 20, keepScores: true });
  return { with: [...(r.scoresWith ?? [])], without: [...(r.scoresWithout ?? [])] };
}
