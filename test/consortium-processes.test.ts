// Integration test: a real consortium of separate processes (coordinator + 3 party agents, mTLS on
// 127.0.0.1) runs a masking-aggregation MST study to `done`; outputs, audit logs and ledgers are checked.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { runCli, runCliJson } from './support/runCli.js';

interface LedgerDoc {
  charges: { idempotencyKey: string; studyId: string; rho: number }[];
  spentByStudy: Record<string, number>;
}

const ROWS = 400;
const c = new ProcessConsortium({ name: 'processes' });
let studyId = '';
let final: StudyStatus;
const out = join(c.dir, 'fetched');

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  c.startAgents();
  studyId = await c.createStudy({ aggregation: 'masking', mechanism: 'mst', epsilon: 1, delta: 1e-9, rows: ROWS });
  final = await c.waitForStudy(studyId, (s) => s.state === 'done');
  // The files the coordinator lists (its build decides them).
  for (const f of final.outputs) await c.operator().fetchOutput(studyId, f, out);
  // Stop the agents cleanly so their audit logs and ledgers are closed before they are read.
  await Promise.all([...c.agents.values()].map((a) => a.stop()));
}, 240_000);

afterAll(() => c.stop());

describe('a real consortium of separate processes', () => {
  it('runs the study to done with every party and spends exactly the study budget', () => {
    expect(final.state).toBe('done');
    expect(final.roundsDone).toBeGreaterThanOrEqual(2);
    expect(final.parties.map((p) => p.partyId).sort()).toEqual([...c.parties].sort());
    for (const p of final.parties) expect(p.decision).toBe('approved');
    expect(Math.abs(final.rhoSpent - rhoFromEpsilon(1, 1e-9))).toBeLessThan(1e-12);
  });

  it('delivers synthetic.csv with the schema header and the requested row count', () => {
    expect(final.outputs).toEqual(expect.arrayContaining(['synthetic.csv', 'run.json', 'manifest.json']));
    const lines = readFileSync(join(out, 'synthetic.csv'), 'utf8').split('\n').filter((l) => l !== '');
    const schema = JSON.parse(readFileSync('data/adult-raw.schema.json', 'utf8')) as { columns: { name: string }[] };
    expect(lines[0]).toBe(schema.columns.map((col) => col.name).join(','));
    expect(lines.length - 1).toBe(ROWS);
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { aggregation: string; syntheticRows: number };
    expect(run.aggregation).toBe('masking');
    expect(run.syntheticRows).toBe(ROWS);
  });

  it('keeps verifiable audit logs on the coordinator and on every agent', async () => {
    const logs = [join(c.coordinatorDataDir, 'audit.log'), ...c.parties.map((p) => join(c.stateDir(p), 'audit.log'))];
    for (const f of logs) {
      const v = await runCliJson<{ ok: boolean; records: number }>(['audit', 'verify', f]);
      expect(v.ok).toBe(true);
      expect(v.records).toBeGreaterThan(2);
    }
    // Each agent's log names the study's releases; the coordinator's names the study's end.
    expect(readFileSync(logs[0], 'utf8')).toContain('"study.done"');
  });

  it('planted fault: audit verify fails on a tampered agent log', async () => {
    const f = join(c.stateDir(c.parties[0]), 'audit.log');
    const tampered = join(c.dir, 'tampered-audit.log');
    const text = readFileSync(f, 'utf8').replace('"round.release"', '"round.relaese"');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(tampered, text);
    const r = await runCli(['audit', 'verify', tampered]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('AUDIT_CHAIN_BROKEN');
  });

  it('logs each agent connection going offline at most once', () => {
    // (A busy machine may drop and re-open a connection: count per connection, not per party.)
    const offline = c.coordinator!.logLines().filter((l) => l.msg === 'agent offline');
    for (const p of c.parties) {
      const n = offline.filter((l) => l.partyId === p).length;
      expect(n, p).toBeGreaterThanOrEqual(1);
      expect(n, p).toBeLessThanOrEqual(c.onlineEvents(p));
    }
  });

  it("every agent's ledger charges sum to the study rho, each key once", async () => {
    const rho = final.spec!.rho;
    for (const p of c.parties) {
      const doc = await runCliJson<LedgerDoc>(['privacy', 'ledger', '--state', join(c.stateDir(p), 'ledger.sqlite')]);
      const mine = doc.charges.filter((ch) => ch.studyId === studyId);
      expect(mine.length).toBe(final.roundsDone);
      expect(new Set(mine.map((ch) => ch.idempotencyKey)).size).toBe(mine.length);
      const sum = mine.reduce((s, ch) => s + ch.rho, 0);
      expect(Math.abs(sum - rho)).toBeLessThan(1e-12);
      expect(Math.abs(doc.spentByStudy[studyId] - rho)).toBeLessThan(1e-12);
    }
  });
});
