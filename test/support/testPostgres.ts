// testPostgres: test support that starts PostgreSQL through scripts/pg-test.sh (or reads
// FEDSYNTH_TEST_PG / FEDSYNTH_TEST_PG_ADMIN) and drops the throwaway database afterwards.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runCommand } from './runCommand.js';

export interface TestPostgres {
  /** Connection string of the read-only role. */
  readonly readOnly: string;
  /** Connection string of the database owner (to load test tables). */
  readonly admin: string;
  /** Drops the database and roles if this helper created them. */
  cleanup(): Promise<void>;
}

const script = join(dirname(fileURLToPath(import.meta.url)), '../../scripts/pg-test.sh');

/** A throwaway database, or undefined (with the reason) if PostgreSQL cannot be started here. */
export async function startTestPostgres(): Promise<TestPostgres | { unavailable: string }> {
  const ro = process.env.FEDSYNTH_TEST_PG;
  const admin = process.env.FEDSYNTH_TEST_PG_ADMIN;
  if (ro && admin) return { readOnly: ro, admin, cleanup: async () => undefined };
  let out: string;
  try {
    out = await runCommand('bash', [script], { timeoutMs: 120_000 });
  } catch (e) {
    return { unavailable: `scripts/pg-test.sh failed: ${(e as Error).message.split('\n')[0]}` };
  }
  const get = (k: string): string => /^.*$/m.exec(out.split('\n').find((l) => l.startsWith(`${k}=`)) ?? '')![0].slice(k.length + 1);
  const readOnly = get('FEDSYNTH_TEST_PG');
  const adm = get('FEDSYNTH_TEST_PG_ADMIN');
  const db = new URL(readOnly).pathname.slice(1);
  return {
    readOnly,
    admin: adm,
    cleanup: async () => {
      await runCommand('bash', [script, '--drop', db]);
    },
  };
}
