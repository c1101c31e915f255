// runCli: a test helper that runs the `fedsynth` CLI in-process (cli/main.ts) and captures its
// exit code, standard output and standard error. For tests only.
import { vi } from 'vitest';
import { main } from '../main.js';

export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `fedsynth <args...>` and returns what it printed and its exit code. */
export async function runCli(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (out.push(String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  try {
    return { code: await main(['node', 'fedsynth', ...args]), out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
