// slowPartyRetry: the set-up and checks shared by the retried-round process tests (masking, HE): one
// agent held past the study's round timeout on its first count, and what every run must show after it.
import { join } from 'node:path';
import { expect } from 'vitest';
import { CRASH_HOOK_ENV } from '../../platform/testing/crashHook.js';
import { DELAY_HOOK_ENV } from '../../platform/testing/delayHook.js';
import type { StudyStatus } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { ProcessConsortium } from './ProcessConsortium.js';
import { runCliJson } from './runCli.js';

/** The party made slow. */
export const SLOW = 'hospital-b';
/** The study's own round timeout (CreateStudyRequest.round_timeout_ms; the coordinator's is 60 s here): room for a loaded machine. */
export const ROUND_TIMEOUT_MS = 10_000;
/** The slow party's first count: past attempt 1's timeout, well within attempt 2's. */
export const DELAY_MS = 15_000;

interface LedgerDoc {
  charges: { idempotencyKey: string; studyId: string; rho: number }[];
  spentByStudy: Record<string, number>;
}

/**
 * Starts every agent of `c` (its coordinator, and custodian if any, already running); SLOW with the
 * test-only delay hook: its first count waits DELAY_MS after the charge (platform/testing/delayHook).
 */
export function startAgentsWithSlowParty(c: ProcessConsortium): void {
  for (const p of c.parties) {
    if (p === SLOW) c.startAgent(p, { env: { [CRASH_HOOK_ENV.enable]: '1', [DELAY_HOOK_ENV.at]: `compute.evaluate@1:${DELAY_MS}` } });
    else c.startAgent(p);
  }
}

/** `party`'s log lines for `studyId` with message `msg`. */
export function agentLines(c: ProcessConsortium, party: string, studyId: string, msg: string): Record<string, unknown>[] {
  return (c.agents.get(party)?.logLines() ?? []).filter((l) => l.studyId === studyId && l.msg === msg);
}

/** The slow party was slow, the first round was released at attempt 2 to every party, and so was every other round. */
export function expectFirstRoundRetriedOnce(c: ProcessConsortium, final: StudyStatus): void {
  expect(c.agents.get(SLOW)?.stderr()).toContain(`fedsynth test hook: delay ${DELAY_MS} ms at compute.evaluate`);
  expect(final.state).toBe('done');
  // The study's own timeout, not the coordinator's 60 s (under which the slow count would not have timed out).
  expect(final.roundTimeoutMs).toBe(ROUND_TIMEOUT_MS);
  const rounds = [...final.rounds].sort((a, b) => a.index - b.index);
  expect(rounds[0]).toMatchObject({ outcome: 'released', attempts: 2, releasedTo: [...c.parties] });
  for (const r of rounds) expect(r.outcome, `round ${r.index}`).toBe('released');
}

/** No agent refused any stage, and the coordinator logged none of `coordinatorRefusals` (its refusal messages). */
export function expectNoRefusals(c: ProcessConsortium, coordinatorRefusals: readonly string[]): void {
  const refusedAtAgents = c.parties.flatMap((p) => (c.agents.get(p)?.logLines() ?? []).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('refusing round')));
  expect(refusedAtAgents.map((l) => `${String(l.partyId)} ${String(l.code)}: ${String(l.msg)}`)).toEqual([]);
  const refusedAtCoordinator = (c.coordinator?.logLines() ?? []).filter((l) => typeof l.msg === 'string' && (l.msg.startsWith('party refused') || coordinatorRefusals.includes(l.msg)));
  expect(refusedAtCoordinator.map((l) => `${String(l.partyId)} ${String(l.code)}: ${String(l.msg)}`)).toEqual([]);
}

/** SLOW abandoned attempt 1 of the first round once computed, and re-sent for attempt 2 the vector it had recorded. */
export function expectSlowPartyResent(c: ProcessConsortium, studyId: string): void {
  const superseded = agentLines(c, SLOW, studyId, 'round request superseded by a later attempt of the round: not answered');
  expect(superseded).toEqual([expect.objectContaining({ roundId: `${studyId}/r0`, attempt: 1, supersededBy: 2, computed: true })]);
  const resent = agentLines(c, SLOW, studyId, 're-sending the noisy vector already released for this charge key');
  expect(resent.map((l) => l.roundId)).toEqual([`${studyId}/r0`]);
}

/** Every party's ledger: one charge per released round, none under a fresh attempt's key, the study's rho in all. */
export async function expectOneChargePerRelease(c: ProcessConsortium, studyId: string, final: StudyStatus): Promise<void> {
  for (const p of c.parties) {
    const doc = await runCliJson<LedgerDoc>(['privacy', 'ledger', '--state', join(c.stateDir(p), 'ledger.sqlite')]);
    const mine = doc.charges.filter((ch) => ch.studyId === studyId);
    expect(new Set(mine.map((ch) => ch.idempotencyKey)).size, `${p}: a key charged twice`).toBe(mine.length);
    expect(mine.length, p).toBe(final.roundsDone);
    expect(mine.filter((ch) => /\/a\d+$/.test(ch.idempotencyKey)), `${p}: a fresh attempt (new charge key)`).toEqual([]);
    expect(Math.abs(doc.spentByStudy[studyId] - final.spec!.rho), `${p} spent ${doc.spentByStudy[studyId]}`).toBeLessThan(1e-12);
  }
}
