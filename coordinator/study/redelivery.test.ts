// Delivery is resumable: a party gets every output file it has not confirmed with the same hash,
// whenever it is (re)connected; confirmed files are not sent again.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { CoordinatorStore } from '../store/CoordinatorStore.js';
import { StudyRunner } from './StudyRunner.js';
import { OUTPUT_FILES } from '../delivery/StudyOutputs.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'fedsynth-redeliver-'));
  dirs.push(dir);
  const store = new CoordinatorStore(join(dir, 'c.sqlite'));
  store.createStudy({ id: 's1', specJson: '{}', seed: 'x', parties: ['p1', 'p2'] });
  store.setDecision('s1', 'p1', true, '');
  store.setDecision('s1', 'p2', false, 'no');
  const out = join(dir, 'studies', 's1');
  mkdirSync(out, { recursive: true });
  for (const f of OUTPUT_FILES) writeFileSync(join(out, f), `content of ${f}`);
  const sent: { party: string; file: string; last: boolean }[] = [];
  const online = new Set(['p1', 'p2']);
  const gateway = {
    session: (p: string) =>
      online.has(p)
        ? {
            sendFlushed: async (b: { $case: string; value: { fileName: string; last: boolean } }) => {
              if (b.value.last) sent.push({ party: p, file: b.value.fileName, last: b.value.last });
            },
          }
        : undefined,
  } as unknown as AgentGateway;
  const runner = new StudyRunner({ store, gateway, log: pino({ level: 'silent' }), outputsDir: join(dir, 'studies'), roundTimeoutMs: 1000, approvalTimeoutMs: 1000, audit: () => undefined });
  return { store, runner, sent, online, out };
}

describe('StudyRunner.deliverTo', () => {
  it('sends every unconfirmed file to an approved party only, manifest last', async () => {
    const { runner, sent } = setup();
    await runner.deliverTo('s1', 'p1');
    await runner.deliverTo('s1', 'p2'); // refused the study: gets nothing
    expect(sent.map((s) => s.file)).toEqual([...OUTPUT_FILES]);
    expect(sent.every((s) => s.party === 'p1')).toBe(true);
    expect(sent[sent.length - 1].file).toBe('manifest.json');
  });
  it('skips files confirmed with the same hash and resends a changed one', async () => {
    const { runner, sent, store, out } = setup();
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    for (const f of OUTPUT_FILES) store.recordDeliveryAck('s1', 'p1', f, createHash('sha256').update(readFileSync(join(out, f))).digest('hex'));
    await runner.deliverTo('s1', 'p1');
    expect(sent).toEqual([]);
    writeFileSync(join(out, 'model.json'), 'changed');
    await runner.deliverTo('s1', 'p1');
    expect(sent.map((s) => s.file)).toEqual(['model.json']);
  });
  it('sends nothing while the party is offline, everything once it is back', async () => {
    const { runner, sent, online } = setup();
    online.delete('p1');
    await runner.deliverTo('s1', 'p1');
    expect(sent).toEqual([]);
    online.add('p1');
    await runner.deliverTo('s1', 'p1');
    expect(sent).toHaveLength(OUTPUT_FILES.length);
  });
});
