// Tests of the coordinator's durable store: the parties it knows (came online, or decided on a
// study), which is what an operator may invite; a study's own round timeout, also in a store from before it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

describe('CoordinatorStore: a study\'s round timeout', () => {
  it('keeps the one set at creation across a restart; 0 when none was set', () => {
    const { store, dir } = openStore();
    store.createStudy({ id: 's1', specJson: '{}', seed: 'x', parties: ['a'], roundTimeoutMs: 10_000 });
    store.createStudy({ id: 's2', specJson: '{}', seed: 'x', parties: ['a'] });
    store.close();
    const again = openStore(dir).store;
    expect([again.getStudy('s1').roundTimeoutMs, again.getStudy('s2').roundTimeoutMs]).toEqual([10_000, 0]);
    again.close();
  });

  it('opens a store written before per-study timeouts: its studies read 0 (the coordinator\'s)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedsynth-store-'));
    dirs.push(dir);
    const old = new Database(join(dir, 'coordinator.sqlite'));
    old.exec(`CREATE TABLE studies (
      id TEXT PRIMARY KEY, spec_json TEXT NOT NULL, state TEXT NOT NULL, seed TEXT NOT NULL,
      created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, phase TEXT NOT NULL DEFAULT '',
      progress REAL NOT NULL DEFAULT 0, rho_spent REAL NOT NULL DEFAULT 0,
      error_code TEXT NOT NULL DEFAULT '', error_message TEXT NOT NULL DEFAULT '');
      INSERT INTO studies(id, spec_json, state, seed, created_ms, updated_ms) VALUES ('old', '{}', 'running', 'x', 1, 1);`);
    old.close();
    const { store } = openStore(dir);
    expect(store.getStudy('old').roundTimeoutMs).toBe(0);
    store.createStudy({ id: 'new', specJson: '{}', seed: 'x', parties: ['a'], roundTimeoutMs: 5_000 });
    expect(store.getStudy('new').roundTimeoutMs).toBe(5_000);
    store.close();
  });
});
