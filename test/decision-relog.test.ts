// Decisions are logged once, across restarts (issue 20 item 7), with real processes: an agent re-sends
// every decision it holds on each reconnection; after an agent restart and a coordinator restart, the
// coordinator's log and audit trail and the agent's log and audit still hold each decision once.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessConsortium } from './support/ProcessConsortium.js';

const c = new ProcessConsortium({ name: 'relog', parties: ['hospital-a', 'hospital-b'], rows: 300 });
let studyId = '';

function auditEvents(file: string, event: string): Record<string, unknown>[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { event: string; details: Record<string, unknown> })
    .filter((l) => l.event === event)
    .map((l) => l.details);
}

/** What was logged and audited about hospital-a's decision on the study, on both sides. */
function decisionRecords() {
  const party = 'hospital-a';
  return {
    coordinatorLog: c.coordinator!.logLines().filter((l) => l.msg === 'party approved the study' && l.partyId === party && l.studyId === studyId).length,
    coordinatorAudit: auditEvents(join(c.coordinatorDataDir, 'audit.log'), 'study.party_decision').filter((d) => d.partyId === party && d.studyId === studyId).length,
    agentLog: c.agents.get(party)!.logLines().filter((l) => String(l.msg).startsWith(`study ${studyId} asks:`)).length,
    agentAudit: auditEvents(join(c.stateDir(party), 'audit.log'), 'study.decision').filter((d) => d.studyId === studyId).length,
  };
}

/**
 * Waits until the coordinator processed hospital-a's decision re-sent `n` times in all: each re-send
 * is either said at debug level as already recorded, or (the fault this test catches) logged again.
 */
async function resent(n: number): Promise<void> {
  const about = (l: Record<string, unknown>) => l.partyId === 'hospital-a' && l.studyId === studyId;
  await ProcessConsortium.until(
    () => {
      const lines = c.coordinator!.logLines().filter(about);
      return lines.filter((l) => l.msg === 'decision already recorded').length + lines.filter((l) => l.msg === 'party approved the study').length - 1 >= n;
    },
    60_000,
    `hospital-a's decision re-sent ${n} time(s)`,
  );
}

beforeAll(async () => {
  await c.setup();
  // Debug level: the coordinator says when a re-sent decision was already recorded (the positive control).
  process.env.FEDSYNTH_LOG_LEVEL = 'debug';
  try {
    await c.startCoordinator();
  } finally {
    delete process.env.FEDSYNTH_LOG_LEVEL;
  }
  c.startAgents();
  // A study both approve, then cancelled before its rounds: an old study with recorded decisions.
  studyId = await c.createStudy({ aggregation: 'masking', mechanism: 'mst' });
  await c.waitForStudy(studyId, (s) => s.parties.every((p) => p.decision === 'approved'), 90_000, 50).catch(() => undefined);
  await c.operator().cancelStudy(studyId, 'test: an old study');
}, 180_000);

afterAll(() => c.stop());

describe('decision re-logging', () => {
  it('logs and audits each decision once, on both sides, before any restart', async () => {
    await ProcessConsortium.until(() => decisionRecords().coordinatorLog === 1, 30_000, 'the decision logged');
    expect(decisionRecords()).toEqual({ coordinatorLog: 1, coordinatorAudit: 1, agentLog: 1, agentAudit: 1 });
  });

  it('an agent restart re-sends the decision but logs and audits nothing again', async () => {
    const online = c.onlineEvents('hospital-a');
    await c.agents.get('hospital-a')!.stop();
    c.startAgent('hospital-a');
    await ProcessConsortium.until(() => c.onlineEvents('hospital-a') > online, 90_000, 'hospital-a back online');
    await resent(1);
    expect(decisionRecords()).toEqual({ coordinatorLog: 1, coordinatorAudit: 1, agentLog: 1, agentAudit: 1 });
  }, 150_000);

  it('a coordinator restart: the agents reconnect and re-send, still one record each', async () => {
    const port = c.port;
    await c.coordinator!.stop();
    process.env.FEDSYNTH_LOG_LEVEL = 'debug';
    try {
      await c.startCoordinator({ port });
    } finally {
      delete process.env.FEDSYNTH_LOG_LEVEL;
    }
    await resent(2); // the log file is appended to: the first run's re-send plus this one
    expect(decisionRecords()).toEqual({ coordinatorLog: 1, coordinatorAudit: 1, agentLog: 1, agentAudit: 1 });
  }, 150_000);
});
