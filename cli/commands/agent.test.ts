// Tests of `fedsynth agent studies`: each study shown with every term, the mechanism and aggregation
// by the names the operator uses (`--mechanism aim`, `--aggregation masking`), not enum values.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Aggregation, Mechanism, StudySpec } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { AgentStore } from '../../party-agent/state/AgentStore.js';
import { runRegistered } from '../../test/support/captureCli.js';
import { register } from './agent.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-agent-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('agent studies prints mechanism and aggregation names', async () => {
  const store = new AgentStore(join(root, 'agent.sqlite'));
  // Stored as the agent stores an announcement (the proto object, numeric enums).
  const spec = StudySpec.fromPartial({ studyId: 'st-1', mechanism: Mechanism.MECHANISM_AIM, aggregation: Aggregation.AGGREGATION_MASKING, epsilon: 1, delta: 1e-9, columns: ['a'] });
  store.upsertStudy('st-1', JSON.stringify({ spec, parties: ['p1', 'p2'] }), 'pending', 'waiting for the operator');
  const odd = StudySpec.fromPartial({ studyId: 'st-2', epsilon: 1, delta: 1e-9 });
  store.upsertStudy('st-2', JSON.stringify({ spec: odd, parties: ['p1'] }), 'refused', 'no mechanism');
  store.close();
  const lines = (await runRegistered(register, ['agent', 'studies', '--state', root])).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines[0]).toMatchObject({ studyId: 'st-1', decision: 'pending', mechanism: 'aim', aggregation: 'masking', parties: ['p1', 'p2'] });
  // A value with no CLI name (a hostile or unset enum) is still shown, by its proto name.
  expect(lines[1]).toMatchObject({ studyId: 'st-2', mechanism: 'MECHANISM_UNSPECIFIED', aggregation: 'AGGREGATION_UNSPECIFIED' });
});
