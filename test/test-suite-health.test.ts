// Tests of the test suite's own health under load (issue 20 item 10): no test blocks its worker's
// event loop on a child process, and the heartbeat reporter says what runs while a run is slow.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import HeartbeatReporter from './support/HeartbeatReporter.js';
import { REPO_ROOT } from './support/runCli.js';
import { runCommand } from './support/runCommand.js';

const TEST_DIRS = ['shared', 'platform', 'coordinator', 'party-agent', 'custodian', 'simulation', 'cli', 'test'];

function testSources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) testSources(path, out);
    else if (name.endsWith('.test.ts') || (path.includes(`${join('test', 'support')}`) && name.endsWith('.ts'))) out.push(path);
  }
  return out;
}

/**
 * Synchronous child-process calls allowed in tests: short docker CLI calls of the container test
 * (inspect, exec, logs, kill; docker-compose version/config), each well under a second.
 */
const ALLOWED_SYNC = new Map<string, number>([['test/containers.test.ts', 3]]);

describe('test suite health', () => {
  it('no test runs a child process synchronously (execFileSync, execSync, spawnSync) beyond the short docker calls', () => {
    // A synchronous call blocks the vitest worker's event loop: past 60 s (a long script on a
    // loaded machine) its RPC to the main process times out ("Timeout calling onTaskUpdate") and
    // the run counts a failure. Long commands go through test/support/runCommand instead.
    const offenders: string[] = [];
    for (const dir of TEST_DIRS) {
      for (const file of testSources(join(REPO_ROOT, dir))) {
        const rel = relative(REPO_ROOT, file);
        if (rel === 'test/test-suite-health.test.ts') continue;
        const calls = (readFileSync(file, 'utf8').match(/\b(execFileSync|execSync|spawnSync)\(/g) ?? []).length;
        if (calls > (ALLOWED_SYNC.get(rel) ?? 0)) offenders.push(`${rel}: ${calls} synchronous child-process call(s)`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('runCommand keeps the event loop free while the child runs, and rejects with its stderr', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const out = await runCommand(process.execPath, ['-e', 'setTimeout(() => process.stdout.write("done"), 300)']);
      expect(out).toBe('done');
      expect(ticks).toBeGreaterThan(5);
    } finally {
      clearInterval(timer);
    }
    await expect(runCommand(process.execPath, ['-e', 'process.stderr.write("broken pipe"); process.exit(3)'])).rejects.toThrow(/broken pipe/);
  });

  it('the heartbeat line counts files and tests and names what runs and for how long', () => {
    const lines: string[] = [];
    const out = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
    const r = new HeartbeatReporter({ out, force: true });
    process.env.FEDSYNTH_TEST_HEARTBEAT_S = '0';
    try {
      r.onTestRunStart([{}, {}, {}] as never);
    } finally {
      delete process.env.FEDSYNTH_TEST_HEARTBEAT_S;
    }
    const mod = (id: string) => ({ moduleId: join(process.cwd(), id) });
    const test = (id: string, name: string, state: string) => ({ module: mod(id), fullName: name, result: () => ({ state }) });
    r.onTestModuleStart(mod('a.test.ts') as never);
    r.onTestCaseReady(test('a.test.ts', 'x > one', 'pending') as never);
    r.onTestCaseResult(test('a.test.ts', 'x > one', 'passed') as never);
    r.onTestCaseReady(test('a.test.ts', 'x > two', 'pending') as never);
    r.onTestModuleStart(mod('b.test.ts') as never);
    r.onTestCaseReady(test('b.test.ts', 'y', 'pending') as never);
    r.onTestCaseResult(test('b.test.ts', 'y', 'failed') as never);
    r.onTestModuleEnd(mod('b.test.ts') as never);
    r.onTestModuleQueued(mod('c.test.ts') as never);
    const line = r.line(Date.now() + 95_000);
    expect(line).toMatch(/^\[tests 1m3[45]s\] 1\/3 files, 1 passed, 1 failed; running: a\.test\.ts > x > two \(1m3[45]s\); c\.test\.ts \(loading, 1m3[45]s\)$/);
    r.onTestRunEnd();
    expect(lines).toEqual([]); // interval 0: no timer, nothing written on its own
  });
});
