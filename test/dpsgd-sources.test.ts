// Integration test: a dpsgd study on real agent processes whose rows live in a CSV file (with a
// control sample held back), a PostgreSQL table and a Parquet file: gradient rounds end to end.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { withInMemoryDuckDb } from '../platform/duckdb/inMemoryDuckDb.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { runCliJson } from './support/runCli.js';
import { startTestPostgres, type TestPostgres } from './support/testPostgres.js';
import { RAW_SCHEMA } from './support/writeSilos.js';

interface LedgerDoc {
  charges: { idempotencyKey: string; studyId: string; rho: number; label?: string }[];
}

const ROUNDS = 3;
const CONTROL_ROWS = 100;
const c = new ProcessConsortium({ name: 'dpsgd-sources', rows: 1800 });
const [CSV_PARTY, PG_PARTY, PARQUET_PARTY] = c.parties;
/** The raw Adult columns PostgreSQL stores as integers (the rest as text). */
const INTEGER_COLUMNS = new Set(['age', 'fnlwgt', 'education-num', 'capital-gain', 'capital-loss', 'hours-per-week']);
let pgdb: TestPostgres | undefined;
let unavailable = '';
let studyId = '';
let final: StudyStatus | undefined;
const seen: StudyStatus[] = [];
const out = join(c.dir, 'fetched');

/** Loads a silo's CSV lines into a PostgreSQL table `silo` (integers native, text columns NULL when empty). */
async function loadPostgres(admin: string, lines: readonly string[]): Promise<void> {
  const header = readFileSync(c.siloFile(PG_PARTY), 'utf8').split('\n')[0]!.split(',');
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE TABLE silo (${header.map((h) => `"${h}" ${INTEGER_COLUMNS.has(h) ? 'integer' : 'text'}`).join(', ')})`);
    const params = header.map((_, i) => `$${i + 1}`).join(', ');
    for (const line of lines) await client.query(`INSERT INTO silo VALUES (${params})`, line.split(',').map((v) => (v === '' ? null : v)));
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const started = await startTestPostgres();
  if ('unavailable' in started) {
    unavailable = started.unavailable;
    return;
  }
  pgdb = started;
  await c.setup();
  await loadPostgres(pgdb.admin, c.siloLines(PG_PARTY));
  const parquet = join(c.dir, 'silos', `${PARQUET_PARTY}.parquet`);
  await withInMemoryDuckDb((conn) => conn.run(`COPY (SELECT * FROM read_csv('${c.siloFile(PARQUET_PARTY)}', header=true)) TO '${parquet}' (FORMAT parquet)`), 1);
  await c.startCoordinator();
  const sources: Record<string, { source: unknown; controlRows?: number }> = {
    [CSV_PARTY]: { source: { kind: 'csv', path: c.siloFile(CSV_PARTY) }, controlRows: CONTROL_ROWS },
    [PG_PARTY]: { source: { kind: 'postgres', connectionString: pgdb.readOnly, table: 'silo' } },
    [PARQUET_PARTY]: { source: { kind: 'parquet', path: parquet } },
  };
  for (const p of c.parties) {
    const cfg = c.agentConfig(p);
    const { source, controlRows } = sources[p]!;
    c.startAgent(p, {
      config: c.writeConfig(p, {
        ...cfg,
        dataset: { ...cfg.dataset, source, schema: RAW_SCHEMA, ...(controlRows ? { controlRows } : {}) },
        policy: { ...cfg.policy, allowedMechanisms: ['dpsgd'] },
      }),
    });
  }
  // A small generator keeps the rounds short; the rows, the secure sums and the charges are the real ones.
  studyId = await c.createStudy({ mechanism: 'dpsgd', aggregation: 'masking', epsilon: 1, delta: 1e-9, rows: 300, training: { rounds: ROUNDS, sampleRate: 0.05, hidden: [16], latent: 4 } });
  final = await c.waitForStudy(
    studyId,
    (s) => {
      seen.push(s);
      return s.state === 'done';
    },
    420_000,
  );
  for (const f of final.outputs) await c.operator().fetchOutput(studyId, f, out);
  await Promise.all([...c.agents.values()].map((a) => a.stop()));
}, 600_000);

afterAll(async () => {
  await c.stop();
  await pgdb?.cleanup();
});

describe('dpsgd on real sources (CSV with a control sample, PostgreSQL, Parquet), separate processes', () => {
  it('runs every gradient round to done and delivers a decoded synthetic.csv', (ctx) => {
    if (!pgdb) return ctx.skip(unavailable);
    expect(final!.state).toBe('done');
    const run = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { mechanism: string; syntheticRows: number; privacy: { epsilon: number } };
    expect(run.mechanism).toBe('dpsgd');
    expect(run.privacy.epsilon).toBeLessThanOrEqual(1 + 1e-9);
    const lines = readFileSync(join(out, 'synthetic.csv'), 'utf8').split('\n').filter((l) => l !== '');
    const schema = JSON.parse(readFileSync(RAW_SCHEMA, 'utf8')) as { columns: { name: string }[] };
    expect(lines[0]).toBe(schema.columns.map((col) => col.name).join(','));
    expect(lines.length - 1).toBe(300);
  });

  it('each agent trained on its own source in every round: one noisy gradient released and charged per round, no refusal', async (ctx) => {
    if (!pgdb) return ctx.skip(unavailable);
    for (const p of c.parties) {
      const log = c.agents.get(p)!.logLines();
      const released = log.filter((l) => l.msg === 'released a noisy gradient contribution' && l.studyId === studyId);
      expect(released.length, p).toBe(ROUNDS);
      // Typed lines are refusals or failures, except a local evaluation cancelled by the agents' stop
      // above (it runs in a worker thread, so stopping does not wait for it).
      const typed = (l: (typeof log)[number]) => l.code !== undefined && l.msg !== 'local evaluation stopped with the agent';
      expect(log.filter((l) => /refus/i.test(String(l.msg)) || typed(l)).map((l) => `${String(l.msg)} ${String(l.code)}`), p).toEqual([]);
      const doc = await runCliJson<LedgerDoc>(['privacy', 'ledger', '--state', join(c.stateDir(p), 'ledger.sqlite')]);
      const keys = doc.charges.filter((ch) => ch.studyId === studyId).map((ch) => ch.idempotencyKey);
      // The noisy 1-way marginals (row count, warm start), then one RDP charge per gradient round, each key once.
      expect(keys.length, p).toBe(ROUNDS + 1);
      expect(new Set(keys).size).toBe(keys.length);
    }
    // The CSV party split its control sample off first: the rows it trains on are the rest.
    const csvLog = c.agents.get(CSV_PARTY)!.logLines();
    expect(csvLog.find((l) => l.msg?.toString().startsWith('control sample held back'))).toMatchObject({ controlRows: CONTROL_ROWS, trainRows: c.siloLines(CSV_PARTY).length - CONTROL_ROWS });
  });

  it('progress names each gradient round with the epsilon spent, and never moves back', (ctx) => {
    if (!pgdb) return ctx.skip(unavailable);
    const phases = seen.map((s) => s.phase).filter((ph) => /^gradient round \d+ of \d+ done, epsilon [0-9.]+ of 1 spent/.test(ph));
    expect(phases.length).toBeGreaterThanOrEqual(1);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.progress, `${seen[i - 1]!.phase} -> ${seen[i]!.phase}`).toBeGreaterThanOrEqual(seen[i - 1]!.progress);
  });
});
