// Tests of openDurableDatabase: WAL and synchronous=FULL on every store, schema applied idempotently.
// (Planted fault: dropping the synchronous pragma makes the second expectation fail.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDurableDatabase } from './openDurableDatabase.js';

const dir = mkdtempSync(join(tmpdir(), 'fedsynth-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openDurableDatabase', () => {
  it('opens in WAL mode with synchronous=FULL and applies the schema, twice without error', () => {
    const path = join(dir, 'a.sqlite');
    const schema = 'CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)';
    const db = openDurableDatabase(path, schema, { busyTimeoutMs: 1234 });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // 2 = FULL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    db.prepare('INSERT INTO t (k) VALUES (?)').run('x');
    db.close();
    const again = openDurableDatabase(path, schema);
    expect(again.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
    again.close();
  });
});
