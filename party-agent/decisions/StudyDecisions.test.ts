// Tests of the agent's decisions on announcements: a study left for the operator names the command
// and option the operator guide uses (`--config FILE`), and an old decision is not re-logged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Domain } from '../../shared/pgm/Domain.js';
import { domainHash } from '../../shared/study/domainHash.js';
import { rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import { AgentStore } from '../state/AgentStore.js';
import { StudyDecisions } from './StudyDecisions.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-decisions-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const domain = new Domain(['a', 'b'], [2, 3]);
const spec: StudySpec = {
  studyId: 'st-1',
  title: '',
  mechanism: 'mst',
  epsilon: 1,
  delta: 1e-9,
  rho: rhoFromEpsilon(1, 1e-9),
  columns: ['a', 'b'],
  domain: [{ name: 'a', size: 2 }, { name: 'b', size: 3 }],
  aggregation: 'masking',
  minParties: 2,
  colluders: 0,
  dropouts: 0,
  syntheticRows: 100,
  domainHash: domainHash(domain),
  maxSilosPerIndividual: 1,
  targetColumn: '',
  schemaJson: '',
  neighbours: 0,
};

function decisions(name: string, configFile?: string): { d: StudyDecisions; lines: { msg: string }[]; store: AgentStore } {
  const lines: { msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as { msg: string }) });
  const store = new AgentStore(join(root, `${name}.sqlite`));
  const policy = { allowedColumns: '*' as const, maxEpsilonPerStudy: 1, maxDeltaPerStudy: 1e-6, allowedMechanisms: ['mst' as const], minParties: 2, autoApprove: false, allowPlainAggregation: false };
  const d = new StudyDecisions({ store, channel: { connected: false, send: () => undefined }, domain, policy, stateDir: join(root, 'state'), ...(configFile ? { configFile } : {}), log, audit: () => undefined });
  return { d, lines, store };
}

describe('StudyDecisions', () => {
  it("the approval hint names --config FILE (the operator guide's option) when the agent has one", () => {
    const { d, lines, store } = decisions('hint', '/etc/fedsynth/agent.json');
    d.onAnnouncement(spec, ['p1', 'p2']);
    const hint = lines.find((l) => l.msg.includes('waits for approval'))!.msg;
    expect(hint).toContain('fedsynth agent studies --config /etc/fedsynth/agent.json');
    expect(hint).toContain('fedsynth agent approve st-1 --spec-hash HASH --config /etc/fedsynth/agent.json');
    // Shown again (e.g. after a restart) once decided: nothing is logged again.
    store.upsertStudy('st-1', store.study('st-1')!.specJson, 'approved', 'approved by the operator');
    const before = lines.length;
    d.onAnnouncement(spec, ['p1', 'p2']);
    expect(lines.length).toBe(before);
    store.close();
  });
});
