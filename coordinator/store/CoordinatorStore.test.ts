// Tests of the coordinator's durable store: the parties it knows (came online, or decided on a
// study), which is what an operator may invite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CoordinatorStore } from './CoordinatorStore.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openStore(dir = mkdtempSync(join(tmpdir(), 'fedsynth-store-'))): { store: CoordinatorStore; dir: string } {
  dirs.push(dir);
  return { store: new CoordinatorStore(join(dir, 'coordinator.sqlite')), dir };
}

describe('CoordinatorStore.knownParties', () => {
  it('knows parties that came online (across a restart) and parties that decided, not mere invitees', () => {
    const { store, dir } = openStore();
    store.recordPartyOnline('hospital-a');
    store.recordPartyOnline('hospital-a');
    store.createStudy({ id: 's1', specJson: '{}', seed: 'x', parties: ['hospital-b', 'typo-party'] });
    expect(store.knownParties()).toEqual(['hospital-a']);
    expect(store.setDecision('s1', 'hospital-b', true, '')).toBe(true);
    expect(store.setDecision('s1', 'hospital-b', true, '')).toBe(false); // re-sent on a reconnection: nothing new
    expect(store.knownParties()).toEqual(['hospital-a', 'hospital-b']);
    store.close();
    const again = openStore(dir).store;
    expect(again.knownParties()).toEqual(['hospital-a', 'hospital-b']);
    again.close();
  });
});
