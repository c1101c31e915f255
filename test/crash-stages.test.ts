// kill -9 at every secure-aggregation stage and of the key custodian mid-decrypt, with real processes on
// 127.0.0.1: each study completes after the restart (stored noisy vectors re-sent), and no ledger is charged twice.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECAGG_STAGES } from '../shared/secagg/SecAggStage.js';
import { CRASH_HOOK_ENV } from '../platform/testing/crashHook.js';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { ProcessConsortium, type ChildHandle } from './support/ProcessConsortium.js';
import { runCliJson } from './support/runCli.js';

interface LedgerDoc {
  charges: { idempotencyKey: string; studyId: string; rho: number }[];
  spentByStudy: Record<string, number>;
}

const c = new ProcessConsortium({ name: 'crash-stages', rows: 900 });
const VICTIM = 'hospital-b';

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  c.startAgents();
  await ProcessConsortium.until(() => c.parties.every((p) => c.onlineEvents(p) >= 1), 90_000, 'every agent online');
}, 120_000);

afterAll(() => c.stop());

/** Restarts `name` (agent or custodian) after its crash, without the hook; resolves once it is online again. */
async function restartAgent(party: string): Promise<ChildHandle> {
  const before = c.onlineEvents(party);
  const h = c.startAgent(party);
  await ProcessConsortium.until(() => c.onlineEvents(party) > before, 60_000, `${party} online again`);
  return h;
}

/** Waits for a SIGKILL by the test hook at `stage` (exit by signal, the hook's stderr line). */
async function crashedAt(h: ChildHandle, stage: string): Promise<void> {
  await ProcessConsortium.until(() => !h.running, 120_000, `${h.name} to crash at ${stage}`);
  expect(h.exitCode, h.stderr()).toBeNull(); // killed by a signal, not an exit
  expect(h.stderr()).toContain(`fedsynth test hook: SIGKILL at ${stage}`);
}

/** Every party's ledger: one charge per key, exactly the study's rho in total (a finished study). */
async function expectSingleCharges(studyId: string, final: StudyStatus): Promise<void> {
  for (const p of c.parties) {
    const doc = await runCliJson<LedgerDoc>(['privacy', 'ledger', '--state', join(c.stateDir(p), 'ledger.sqlite')]);
    const mine = doc.charges.filter((ch) => ch.studyId === studyId);
    expect(new Set(mine.map((ch) => ch.idempotencyKey)).size, `${p}: a key charged twice`).toBe(mine.length);
    expect(mine.length, p).toBe(final.roundsDone);
    expect(Math.abs(doc.spentByStudy[studyId] - final.spec!.rho), `${p} spent ${doc.spentByStudy[studyId]}`).toBeLessThan(1e-12);
  }
}

/** Lines of the victim's restarted process re-sending an already released vector (never recomputing it). */
function resentLines(name: string): Record<string, unknown>[] {
  return (c.agents.get(name)?.logLines() ?? []).filter((l) => l.msg === 're-sending the noisy vector already released for this charge key');
}

describe('kill -9 of an agent at each secure-aggregation stage (masking, 3 processes, t = n = 3)', () => {
  for (const stage of SECAGG_STAGES) {
    it(`at ${stage}: the agent restarts, re-sends its stored vector, the study completes, nothing is charged twice`, async () => {
      // The victim runs with the hook armed for this stage (its first masking round).
      await c.agents.get(VICTIM)?.stop();
      const before = c.onlineEvents(VICTIM);
      const armed = c.startAgent(VICTIM, { env: { [CRASH_HOOK_ENV.enable]: '1', [CRASH_HOOK_ENV.at]: `masking.${stage}` } });
      await ProcessConsortium.until(() => c.onlineEvents(VICTIM) > before, 60_000, `${VICTIM} online with the hook`);
      const studyId = await c.createStudy({ aggregation: 'masking', mechanism: 'mst', epsilon: 1, delta: 1e-9, rows: 50 });
      await crashedAt(armed, `masking.${stage}`);
      await restartAgent(VICTIM);
      const final = await c.waitForStudy(studyId, (s) => s.state === 'done', 180_000);
      expect(final.state).toBe('done');
      // The restarted agent answered the retried round with the vector it had released before the crash.
      const resent = resentLines(VICTIM).filter((l) => l.studyId === studyId);
      expect(resent.length, 'the stored noisy vector was re-sent after the restart').toBeGreaterThanOrEqual(1);
      await expectSingleCharges(studyId, final);
    }, 300_000);
  }
});

describe('kill -9 of the key custodian mid-decrypt (HE, after the decryption is recorded, before the sum leaves)', () => {
  it('the custodian restarts, answers the repeated request with the recorded sum (no second decryption), the study completes', async () => {
    const armed = await c.startCustodian({ env: { [CRASH_HOOK_ENV.enable]: '1', [CRASH_HOOK_ENV.at]: 'custodian.decrypt' } });
    const studyId = await c.createStudy({ aggregation: 'he', mechanism: 'mst', epsilon: 1, delta: 1e-9, rows: 50 });
    await crashedAt(armed, 'custodian.decrypt');
    const restarted = await c.startCustodian();
    const final = await c.waitForStudy(studyId, (s) => s.state === 'done', 180_000);
    expect(final.state).toBe('done');
    // One decryption per round, and the crashed one was answered from the record.
    const db = new Database(join(c.custodianStateDir, 'custodian.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT round_id, charge_key FROM decryptions').all() as { round_id: string; charge_key: string }[];
      const mine = rows.filter((r) => r.round_id.startsWith(`${studyId}/`));
      expect(mine.length).toBe(final.roundsDone);
      expect(new Set(mine.map((r) => r.charge_key)).size).toBe(mine.length);
    } finally {
      db.close();
    }
    expect(restarted.logLines().some((l) => l.msg === 'repeat decrypt request: returning the recorded sum')).toBe(true);
    await expectSingleCharges(studyId, final);
  }, 300_000);
});
