// captureCli: runs `fedsynth` IN PROCESS for unit tests of commands — either the whole CLI
// (`runMain`: exit code, stdout, stderr) or one command's registrar (`runRegistered`: stdout,
// errors thrown as-is) — capturing what it writes.
import { Command } from 'commander';
import { vi } from 'vitest';
import { main } from '../../cli/main.js';

/** What one in-process run of the CLI returned and printed. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs `fedsynth ...args` through `main` and captures exit code and output. */
export async function runMain(args: readonly string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  try {
    const code = await main(['node', 'fedsynth', ...args]);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** Runs one command's registrar with `args`; returns stdout; typed errors propagate. */
export async function runRegistered(register: (p: Command) => void, args: readonly string[]): Promise<string> {
  const program = new Command().exitOverride();
  register(program);
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    out.push(String(s));
    return true;
  });
  try {
    await program.parseAsync(['node', 'fedsynth', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}
