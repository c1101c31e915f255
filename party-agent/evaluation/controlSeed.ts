// controlSeed: the secret seed of this party's control split, created once (CSPRNG) in the state
// directory and reused, so the same rows stay held back across restarts and studies.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

/** Reads `<stateDir>/control-seed`, creating it (32 random bytes, hex, mode 0600) on first use. */
export function controlSeed(stateDir: string): string {
  const file = join(stateDir, 'control-seed');
  try {
    const s = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{64}$/.test(s)) return s;
    throw new FedsynthError(ErrorCode.InvalidConfig, `${file}: not a control seed (64 hex digits); restore it from a backup — a new seed would move control rows into training`, { file });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(stateDir, { recursive: true });
  const seed = randomBytes(32).toString('hex');
  // 'wx': never overwrite a seed another start wrote meanwhile (a changed seed would move control rows into training).
  try {
    writeFileSync(file, seed + '\n', { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw e;
  }
  return seed;
}
