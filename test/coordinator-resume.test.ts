// Integration test: kill -9 the coordinator process mid-study and restart it on the same port and
// data dir; the study resumes to done, journaled rounds are not asked again, no charge key is charged twice.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { runCliJson } from './support/runCli.js';

interface AuditLine {
  event: string;
  roundId?: string;
  details: Record<string, unknown>;
}

const c = new ProcessConsortium({ name: 'resume' });
let studyId = '';
let final: StudyStatus;
let journaledAtKill: { round_index: number; round_id: string; label: string }[] = [];
let stateAtKill = '';

function auditLines(party: string): AuditLine[] {
  const f = join(c.stateDir(party), 'audit.log');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as AuditLine);
}

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  c.startAgents();
  studyId = await c.createStudy({ aggregation: 'masking', mechanism: 'mst', epsilon: 1, rows: 300 });
  const mid = await c.waitForStudy(studyId, (s) => s.roundsDone >= 1 && (s.state === 'running' || s.state === 'fitting'), 180_000, 50);
  const port = c.port;
  await c.coordinator!.kill9();
  stateAtKill = mid.state;
  const db = new Database(join(c.coordinatorDataDir, 'coordinator.sqlite'), { readonly: true });
  try {
    journaledAtKill = db.prepare('SELECT round_index, round_id, label FROM rounds WHERE study_id = ? ORDER BY round_index').all(studyId) as typeof journaledAtKill;
    stateAtKill = (db.prepare('SELECT state FROM studies WHERE id = ?').get(studyId) as { state: string }).state;
  } finally {
    db.close();
  }
  await c.startCoordinator({ port });
  final = await c.waitForStudy(studyId, (s) => s.state === 'done', 180_000);
  await Promise.all([...c.agents.values()].map((a) => a.stop()));
}, 300_000);

afterAll(() => c.stop());

describe('coordinator crash and resume', () => {
  it('was killed after at least one journaled round and before the study ended', () => {
    expect(journaledAtKill.length).toBeGreaterThanOrEqual(1);
    expect(['running', 'fitting']).toContain(stateAtKill);
  });

  it('resumes the study to done after the restart', () => {
    expect(final.state).toBe('done');
    expect(final.roundsDone).toBeGreaterThan(journaledAtKill.length - 1);
    const replayed = c.coordinator!.logLines().filter((l) => l.msg === 'round replayed from the journal (not asked again)');
    expect(replayed.map((l) => l.round).sort()).toEqual(journaledAtKill.map((r) => r.round_index).sort());
  });

  it('does not ask any party again for a round journaled before the crash', () => {
    for (const p of c.parties) {
      const releases = auditLines(p).filter((l) => l.event === 'round.release');
      for (const r of journaledAtKill) {
        expect(releases.filter((l) => l.roundId === r.round_id).length, `${p} asked ${r.round_id}`).toBe(1);
      }
    }
  });

  it('charges every idempotency key exactly once per party, summing to the study rho', async () => {
    const rho = final.spec!.rho;
    for (const p of c.parties) {
      const charged = auditLines(p).filter((l) => l.event === 'privacy.charged' && l.details.replayed === false);
      const keys = charged.map((l) => String(l.details.key));
      expect(new Set(keys).size).toBe(keys.length);
      const ledger = await runCliJson<{ charges: { idempotencyKey: string; studyId: string; rho: number }[] }>(['privacy', 'ledger', '--state', join(c.stateDir(p), 'ledger.sqlite')]);
      const mine = ledger.charges.filter((ch) => ch.studyId === studyId);
      expect(mine.map((ch) => ch.idempotencyKey).sort()).toEqual([...keys].sort());
      expect(mine.length).toBe(final.roundsDone);
      expect(Math.abs(mine.reduce((s, ch) => s + ch.rho, 0) - rho)).toBeLessThan(1e-12);
    }
  });

  it("the coordinator's audit log still verifies after the crash", async () => {
    const v = await runCliJson<{ ok: boolean }>(['audit', 'verify', join(c.coordinatorDataDir, 'audit.log')]);
    expect(v.ok).toBe(true);
  });
});
