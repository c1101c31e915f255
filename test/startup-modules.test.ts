// Tests that the services start without the libraries only some studies need (issue 20 item 8: the
// demo's four processes load modules at once on two cores): TensorFlow.js (dpsgd), node-seal (HE), pg (PostgreSQL sources).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCommand } from './support/runCommand.js';
import { REPO_ROOT } from './support/runCli.js';

/** The packages (under node_modules) loaded by importing the compiled modules `files` (paths under dist/). */
async function packagesLoadedBy(files: readonly string[]): Promise<string[]> {
  const urls = files.map((f) => pathToFileURL(join(REPO_ROOT, 'dist', f)).href);
  const script = `
    import { createRequire } from 'node:module';
    for (const u of ${JSON.stringify(urls)}) await import(u);
    const names = Object.keys(createRequire(import.meta.url).cache).map((p) => p.split('/node_modules/').pop().split('/').slice(0, 2).join('/'));
    console.log(JSON.stringify([...new Set(names)]));`;
  const stdout = await runCommand(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, timeoutMs: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as string[];
}

describe('service start-up', () => {
  it('loads neither TensorFlow.js, node-seal nor pg for `agent start`, `coordinator start` and the mechanism worker', async () => {
    const optional = (loaded: string[]): string[] => loaded.filter((p) => /^(@tensorflow\/|node-seal\/|pg\/)/.test(p));
    expect(optional(await packagesLoadedBy(['cli/commands/agent.js', 'cli/commands/coordinator.js', 'coordinator/study/runMechanism.js']))).toEqual([]);
    // The check can fail: a module that needs one of them (a dpsgd round's contribution) loads it.
    expect(optional(await packagesLoadedBy(['party-agent/rounds/gradientContribution.js'])).length).toBeGreaterThan(0);
  }, 120_000);
});
