// A round retried while a slow party still computes the attempt before it, with real processes on
// 127.0.0.1: the retry completes, the study finishes, and every ledger is charged once per release.
//
// What happened under CPU starvation (1e6 x 40 through processes, load ~40; docs/synthesis.md): the
// coordinator's round timeout expired while an agent still computed attempt 1 of a masking round;
// the retry kept the round id (same charge key, no new charge), the agent's late answer to attempt 1
// was taken as its answer to the retry, the agent then started the retry's secure aggregation with
// new keys, and it answered the retry's shareKeys with PROTOCOL_VIOLATION ("key list does not carry
// this party's own keys"). Here one agent is made slow in a test-only way (FEDSYNTH_TEST_DELAY_AT:
// its first count waits longer than the study's round timeout, after the charge) instead of starved
// (test/support/slowPartyRetry; the same run in HE mode: test/retried-he-round.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { agentLines, expectFirstRoundRetriedOnce, expectNoRefusals, expectOneChargePerRelease, expectSlowPartyResent, ROUND_TIMEOUT_MS, SLOW, startAgentsWithSlowParty } from './support/slowPartyRetry.js';

const c = new ProcessConsortium({ name: 'retried-round', rows: 900 });
let studyId = '';
let final: StudyStatus;

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  startAgentsWithSlowParty(c);
  // Masking, 3 parties, t = n = 3: the first round cannot be released without the slow party.
  studyId = await c.createStudy({ aggregation: 'masking', mechanism: 'mst', epsilon: 1, delta: 1e-9, rows: 50, roundTimeoutMs: ROUND_TIMEOUT_MS });
  final = await c.waitForStudy(studyId, (s) => s.state === 'done', 240_000, 250);
}, 360_000);

afterAll(() => c.stop());

describe('a round retried while a party still computes its first attempt (masking, 3 processes)', () => {
  it('the slow party was slow, the first round took a second attempt, and the study finished', () => {
    expectFirstRoundRetriedOnce(c, final);
  });

  it('the retry was answered, not refused: no party refused any stage of any attempt', () => {
    expectNoRefusals(c, ['secure-aggregation reply refused']);
  });

  it('the slow party abandoned attempt 1 once it had computed it, and answered attempt 2 with the vector it had recorded', () => {
    expectSlowPartyResent(c, studyId);
    // One noise draw per release: the retry drew nothing new.
    expect(agentLines(c, SLOW, studyId, 'released a noisy contribution').length).toBe(final.roundsDone);
  });

  it("every party's ledger holds one charge per released round and exactly the study's rho", async () => {
    await expectOneChargePerRelease(c, studyId, final);
  });
});
