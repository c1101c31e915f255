// The planted bug the audit must catch: every party's noise scale halved (variance quartered) inside the
// mechanism the oracle plans; test-only (vi.mock), reachable from no production configuration.
import { describe, expect, it, vi } from 'vitest';
import { canaryAudit } from './canaryAudit.js';

vi.mock('../mechanisms/distributedDiscreteGaussian.js', async (importOriginal) => (await import('../../../test/support/halvedNoise.js')).halvedNoise(importOriginal));

// A correct mechanism would make `lb > claim` happen with probability < 1 - confidence = 5% (the
// audit's false-positive rate); with the seeds fixed the outcome below is deterministic.
describe('canaryAudit with the noise scale halved', () => {
  for (const [epsilon, runs] of [[4, 800], [1, 1000]] as const) {
    it(`eps ${epsilon}: the lower bound exceeds the claim (${runs} runs x 1000 canaries)`, async () => {
      const r = await canaryAudit({ epsilon, delta: 1e-6, runs, canaries: 1000, seed: `audit-fault-${epsilon}` });
      process.stderr.write(`${JSON.stringify(r)}\n`);
      expect(r.epsilonLowerBound).toBeGreaterThan(epsilon);
    }, 120_000);
  }
});
