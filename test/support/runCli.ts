// runCli: runs the compiled `fedsynth` command (bin/fedsynth.js -> dist/) as a child process and
// collects its exit code, stdout and stderr; the integration tests' way of calling the CLI.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root (tests run the CLI from the build in dist/, see scripts/test.sh); two levels
 * up from the sources, three from their build in dist/test/support (benches import the fixtures).
 */
const TWO_UP = fileURLToPath(new URL('../../', import.meta.url));
export const REPO_ROOT = existsSync(join(TWO_UP, 'package.json')) ? TWO_UP : join(TWO_UP, '..');
/** The CLI entry point. */
export const FEDSYNTH_BIN = join(REPO_ROOT, 'bin', 'fedsynth.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fedsynth ...args` to completion (killed after `timeoutMs`). Never rejects on a non-zero exit. */
export function runCli(args: readonly string[], timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FEDSYNTH_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Runs the CLI and parses its stdout as one JSON document; throws with stderr on a non-zero exit. */
export async function runCliJson<T>(args: readonly string[], timeoutMs?: number): Promise<T> {
  const r = await runCli(args, timeoutMs);
  if (r.code !== 0) throw new Error(`fedsynth ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}
