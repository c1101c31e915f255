// Tests of `fedsynth coordinator start`: with --log it says on the terminal where it logs (the log
// file is the only other output), before anything else can fail.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from '../../test/support/captureCli.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-coordinator-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('fedsynth coordinator start --log', () => {
  it('says where it logs', async () => {
    const log = join(root, 'logs', 'coordinator.log');
    const r = await runMain(['coordinator', 'start', '--kit', join(root, 'no-kit'), '--log', log, '--data-dir', join(root, 'data')]);
    expect(r.err).toContain(`fedsynth coordinator: logging to ${log} (JSON lines)`);
    expect(r.code).not.toBe(0); // no kit: it stops there
  });
});
