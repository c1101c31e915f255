// The planted bug the exact whole-study audit must catch: every party's noise scale halved (variance quartered)
// in the mechanism every MST / AIM release plans; test-only (vi.mock), reachable from no production configuration.
import { describe, expect, it, vi } from 'vitest';
import { studyCanaryAuditExact } from './studyCanaryAuditExact.js';

vi.mock('../mechanisms/distributedDiscreteGaussian.js', async (importOriginal) => (await import('../../../test/support/halvedNoise.js')).halvedNoise(importOriginal));

// The fault reaches the audit through the real path: the profile studies run MST on InProcessOracle,
// whose releases plan their noise with the (faulty) planDistributedDiscreteGaussian and report its
// stddev; the trials draw the canary's cells with that same plan. A correct mechanism would give
// `lb > claim` with probability < 1 - confidence = 5% (the audit's false-positive rate); with the
// seeds fixed the outcome below is deterministic.
const TRIALS = 2_000_000;

describe('studyCanaryAuditExact with the noise scale halved', () => {
  for (const [mechanism, epsilon] of [['mst', 1], ['mst', 4], ['aim', 1], ['aim', 4]] as const) {
    it(`${mechanism} eps ${epsilon}: the whole-study bound exceeds the claim (${TRIALS} trials per side)`, async () => {
      const r = await studyCanaryAuditExact({ mechanism, epsilon, delta: 1e-6, trials: TRIALS, seed: `exact-audit-${mechanism}-${epsilon}` });
      process.stderr.write(`${JSON.stringify({ ...r, profile: undefined })}\n`);
      expect(r.epsilonLowerBound).toBeGreaterThan(epsilon);
    }, 900_000);
  }
});
