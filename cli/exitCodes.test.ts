// Tests of the CLI's exit codes: every stable error code has one, docs/operator-guide.md lists the
// same table, and argument errors print the `fedsynth: INVALID_ARGUMENT:` prefix with exit 64.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { EXIT_CODES, exitCodeFor } from './exitCodes.js';
import { main } from './main.js';

afterEach(() => vi.restoreAllMocks());

/** The "Exit codes" table of the operator guide: error code -> exit code. */
function documented(): Map<string, number> {
  const guide = readFileSync(new URL('../docs/operator-guide.md', import.meta.url), 'utf8');
  const section = guide.slice(guide.indexOf('## Exit codes'));
  const table = new Map<string, number>();
  for (const m of section.matchAll(/^\| (\d+) \|[^|]*\|([^|]*)\|$/gm)) {
    for (const code of m[2]!.matchAll(/`([A-Z_]+)`/g)) table.set(code[1]!, Number(m[1]));
  }
  return table;
}

describe('exit codes', () => {
  it('every error code has its exit code, and the operator guide lists exactly that table', () => {
    const docs = documented();
    for (const code of Object.values(ErrorCode)) {
      expect(EXIT_CODES[code], code).toBeGreaterThan(0);
      expect(docs.get(code), `docs/operator-guide.md lists ${code}`).toBe(exitCodeFor(code));
    }
    expect(docs.size).toBe(Object.values(ErrorCode).length);
  });

  it('an unknown study is a not-found exit (66)', () => {
    expect(exitCodeFor(ErrorCode.UnknownStudy)).toBe(66);
    expect(exitCodeFor(ErrorCode.NotFound)).toBe(66);
  });

  it('argument errors carry the `fedsynth: INVALID_ARGUMENT:` prefix and exit 64', async () => {
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err.push(String(s));
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await main(['node', 'fedsynth', 'privacy', 'convert', '--epsilon', '1', '--delta', '1e-9', '--no-such-option'])).toBe(64);
    expect(err.join('')).toMatch(/^fedsynth: INVALID_ARGUMENT: unknown option '--no-such-option'/m);
    err.length = 0;
    expect(await main(['node', 'fedsynth', 'study', 'status', 'x'])).toBe(64);
    expect(err.join('')).toMatch(/^fedsynth: INVALID_ARGUMENT: required option '--kit <dir>' not specified/m);
  });
});
