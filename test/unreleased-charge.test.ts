// A round that charges the parties and never releases, with real processes (issue 20 item 3): one
// agent freezes (SIGSTOP) mid-study, a masking round with threshold 3 of 3 fails after the others charged;
// `study status` names the round, who was charged and why nothing was released, and agrees with every ledger.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { runCli, runCliJson } from './support/runCli.js';

const c = new ProcessConsortium({ name: 'unreleased', rows: 300 });
const VICTIM = 'hospital-c';
let studyId = '';
let final: StudyStatus;
/** Each party's ledger total for the study, read while the victim is still frozen. */
const ledgers = new Map<string, number>();

async function ledgerTotal(party: string): Promise<number> {
  const l = await runCliJson<{ spentByStudy: Record<string, number> }>(['privacy', 'ledger', '--state', join(c.stateDir(party), 'ledger.sqlite')]);
  return l.spentByStudy[studyId] ?? 0;
}

beforeAll(async () => {
  await c.setup();
  // Short round timeout (8 s, room for a loaded machine): the frozen party's silence fails the round in under a minute.
  await c.startCoordinator({ extraArgs: ['--round-timeout', '8000'] });
  c.startAgents();
  // AIM asks many rounds: whichever is in flight (or next) when the victim freezes is asked of it too.
  studyId = await c.createStudy({ aggregation: 'masking', mechanism: 'aim', minParties: 3, rows: 200 });
  await c.waitForStudy(studyId, (s) => s.roundsDone >= 1, 180_000, 50);
  c.agents.get(VICTIM)!.child.kill('SIGSTOP');
  try {
    final = await c.waitForStudy(studyId, (s) => s.state === 'failed', 240_000, 250);
    for (const p of c.parties) ledgers.set(p, await ledgerTotal(p));
  } finally {
    c.agents.get(VICTIM)!.child.kill('SIGCONT');
  }
}, 420_000);

afterAll(() => c.stop());

describe('a charge without a release', () => {
  it('the study failed in a round that charged the live parties and released nothing', () => {
    expect(final.state).toBe('failed');
    const failed = final.rounds.filter((r) => r.outcome === 'failed');
    expect(failed.length).toBe(1);
    const [r] = failed;
    expect(r.index).toBe(final.roundsDone + 1);
    expect(r.charged).toEqual(expect.arrayContaining(['hospital-a', 'hospital-b']));
    expect(r.asked).toEqual([...c.parties]);
    expect(r.releasedTo).toEqual([]);
    expect(r.attempts).toBeGreaterThan(1); // retried, with the same charge key
    expect(r.errorCode).toBe('TOO_FEW_SURVIVORS');
    expect(r.summary).toMatch(new RegExp(`^round ${r.index} \\(.+\\): charged at hospital-a, hospital-b(, hospital-c)?; not released after ${r.attempts} attempts \\(TOO_FEW_SURVIVORS: `));
    // every earlier round was released to all three
    for (const ok of final.rounds.filter((x) => x.index < r.index)) expect(ok).toMatchObject({ outcome: 'released', releasedTo: [...c.parties] });
  });

  it("status and every party's ledger agree: released charges plus charges without release", () => {
    const failed = final.rounds.find((r) => r.outcome === 'failed')!;
    for (const p of final.parties) {
      const ledger = ledgers.get(p.partyId)!;
      const status = p.rhoCharged + p.rhoChargedUnreleased;
      if (failed.charged.includes(p.partyId)) {
        expect(p.rhoChargedUnreleased, p.partyId).toBeCloseTo(failed.rho, 12);
        expect(ledger, p.partyId).toBeCloseTo(status, 12);
      } else {
        // the frozen party never answered the failed round: charged nothing for it
        expect(p.partyId).toBe(VICTIM);
        expect(p.rhoChargedUnreleased).toBe(0);
        expect(ledger).toBeCloseTo(status, 12);
      }
      expect(p.rhoCharged, p.partyId).toBeCloseTo(final.rounds.filter((r) => r.outcome === 'released').reduce((s, r) => s + r.rho, 0), 12);
    }
  });

  it('`fedsynth study status` says which round charged whom without a release, and why', async () => {
    const r = await runCli(['study', 'status', studyId, '--kit', c.kitDir('operator'), '--coordinator', c.address]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { notReleased: string[]; roundLog: string[]; parties: { id: string; rhoCharged: number; rhoChargedNotReleased: number }[] };
    const failed = final.rounds.find((x) => x.outcome === 'failed')!;
    expect(out.notReleased).toEqual([failed.summary]);
    expect(out.roundLog.length).toBe(final.rounds.length);
    expect(out.roundLog[failed.index - 1]).toBe(failed.summary);
    expect(out.parties.find((p) => p.id === 'hospital-a')!.rhoChargedNotReleased).toBeCloseTo(failed.rho, 12);
  });
});
