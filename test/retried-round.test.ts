// A round retried while a slow party still computes the attempt before it, with real processes on
// 127.0.0.1: the retry completes, the study finishes, and every ledger is charged once per release.
//
// What happened under CPU starvation (1e6 x 40 through processes, load ~40; docs/synthesis.md): the
// coordinator's round timeout expired while an agent still computed attempt 1 of a masking round;
// the retry kept the round id (same charge key, no new charge), the agent's late answer to attempt 1
// was taken as its answer to the retry, the agent then started the retry's secure aggregation with
// new keys, and it answered the retry's shareKeys with PROTOCOL_VIOLATION ("key list does not carry
// this party's own keys"). Here one agent is made slow in a test-only way (FEDSYNTH_TEST_DELAY_AT:
// its first count waits longer than the study's round timeout, after the charge) instead of starved.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_HOOK_ENV } from '../platform/testing/crashHook.js';
import { DELAY_HOOK_ENV } from '../platform/testing/delayHook.js';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { runCliJson } from './support/runCli.js';

interface LedgerDoc {
  charges: { idempotencyKey: string; studyId: string; rho: number }[];
  spentByStudy: Record<string, number>;
}

const c = new ProcessConsortium({ name: 'retried-round', rows: 900 });
const SLOW = 'hospital-b';
/** The study's own round timeout (CreateStudyRequest.round_timeout_ms; the coordinator's is 60 s here): room for a loaded machine. */
const ROUND_TIMEOUT_MS = 10_000;
/** The slow party's first count: past attempt 1's timeout, well within attempt 2's. */
const DELAY_MS = 15_000;
let studyId = '';
let final: StudyStatus;

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  for (const p of c.parties) {
    if (p === SLOW) c.startAgent(p, { env: { [CRASH_HOOK_ENV.enable]: '1', [DELAY_HOOK_ENV.at]: `compute.evaluate@1:${DELAY_MS}` } });
    else c.startAgent(p);
  }
  // Masking, 3 parties, t = n = 3: the first round cannot be released without the slow party.
  studyId = await c.createStudy({ aggregation: 'masking', mechanism: 'mst', epsilon: 1, delta: 1e-9, rows: 50, roundTimeoutMs: ROUND_TIMEOUT_MS });
  final = await c.waitForStudy(studyId, (s) => s.state === 'done', 240_000, 250);
}, 360_000);

afterAll(() => c.stop());

/** The slow agent's log lines for the study with message `msg`. */
function slowLines(msg: string): Record<string, unknown>[] {
  return (c.agents.get(SLOW)?.logLines() ?? []).filter((l) => l.studyId === studyId && l.msg === msg);
}

describe('a round retried while a party still computes its first attempt (masking, 3 processes)', () => {
  it('the slow party was slow, the first round took a second attempt, and the study finished', () => {
    expect(c.agents.get(SLOW)?.stderr()).toContain(`fedsynth test hook: delay ${DELAY_MS} ms at compute.evaluate`);
    expect(final.state).toBe('done');
    // The study's own timeout, not the coordinator's 60 s (under which the slow count would not have timed out).
    expect(final.roundTimeoutMs).toBe(ROUND_TIMEOUT_MS);
    const rounds = [...final.rounds].sort((a, b) => a.index - b.index);
    expect(rounds[0]).toMatchObject({ outcome: 'released', attempts: 2, releasedTo: [...c.parties] });
    for (const r of rounds) expect(r.outcome, `round ${r.index}`).toBe('released');
  });

  it('the retry was answered, not refused: no party refused any stage of any attempt', () => {
    const refusedAtAgents = c.parties.flatMap((p) => (c.agents.get(p)?.logLines() ?? []).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('refusing round')));
    expect(refusedAtAgents.map((l) => `${String(l.partyId)} ${String(l.code)}: ${String(l.msg)}`)).toEqual([]);
    const refusedAtCoordinator = (c.coordinator?.logLines() ?? []).filter((l) => typeof l.msg === 'string' && (l.msg.startsWith('party refused') || l.msg === 'secure-aggregation reply refused'));
    expect(refusedAtCoordinator.map((l) => `${String(l.partyId)} ${String(l.code)}: ${String(l.msg)}`)).toEqual([]);
  });

  it('the slow party abandoned attempt 1 once it had computed it, and answered attempt 2 with the vector it had recorded', () => {
    const superseded = slowLines('round request superseded by a later attempt of the round: not answered');
    expect(superseded).toEqual([expect.objectContaining({ roundId: `${studyId}/r0`, attempt: 1, supersededBy: 2, computed: true })]);
    const resent = slowLines('re-sending the noisy vector already released for this charge key');
    expect(resent.map((l) => l.roundId)).toEqual([`${studyId}/r0`]);
    // One noise draw per release: the retry drew nothing new.
    expect(slowLines('released a noisy contribution').length).toBe(final.roundsDone);
  });

  it("every party's ledger holds one charge per released round and exactly the study's rho", async () => {
    for (const p of c.parties) {
      const doc = await runCliJson<LedgerDoc>(['privacy', 'ledger', '--state', join(c.stateDir(p), 'ledger.sqlite')]);
      const mine = doc.charges.filter((ch) => ch.studyId === studyId);
      expect(new Set(mine.map((ch) => ch.idempotencyKey)).size, `${p}: a key charged twice`).toBe(mine.length);
      expect(mine.length, p).toBe(final.roundsDone);
      expect(mine.filter((ch) => /\/a\d+$/.test(ch.idempotencyKey)), `${p}: a fresh attempt (new charge key)`).toEqual([]);
      expect(Math.abs(doc.spentByStudy[studyId] - final.spec!.rho), `${p} spent ${doc.spentByStudy[studyId]}`).toBeLessThan(1e-12);
    }
  });
});
