// runCommand: runs a program to completion without blocking the test worker's event loop (unlike
// execFileSync, which starves vitest's worker RPC: "Timeout calling onTaskUpdate" under load).
import { execFile } from 'node:child_process';

export interface RunCommandOptions {
  /** Killed (and rejected) after this many ms (default: no limit). */
  timeoutMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Resolves to the program's stdout once it exits 0; rejects otherwise with an Error whose message
 * ends with the program's stderr, and which carries `stdout` and `stderr` (as execFileSync's does).
 */
export function runCommand(file: string, args: readonly string[], opts: RunCommandOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: opts.timeoutMs ?? 0, cwd: opts.cwd, env: opts.env }, (err, stdout, stderr) => {
      if (err) {
        const e = Object.assign(new Error(`${file} ${args.join(' ')}: ${err.message.trim()}${stderr ? `\n${stderr.trim()}` : ''}`), { stdout, stderr, code: err.code });
        reject(e);
        return;
      }
      resolve(stdout);
    });
  });
}
