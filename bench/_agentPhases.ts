// bench/_agentPhases: one party agent's data path in a fresh process, phase by phase (open and
// validate a CSV silo, hold back the control sample, answer a recorded run's queries, the local
// evaluation and the pooled risk count in worker threads), with each phase's own peak RSS.
import { copyFileSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Domain } from '../shared/pgm/Domain.js';
import { CachingMarginalSource } from '../shared/data/CachingMarginalSource.js';
import { schemaDomain } from '../shared/schema/columnLayout.js';
import { parseSchema } from '../shared/schema/ConsortiumSchema.js';
import { evaluateLocalQuery } from '../shared/synth/evaluateLocalQuery.js';
import { decodeLocalQuery } from '../platform/wire/localQueryWire.js';
import { openSource } from '../party-agent/data/openSource.js';
import { holdOutControl } from '../party-agent/evaluation/ControlHoldout.js';
import { LocalEvaluationThreads } from '../party-agent/evaluation/LocalEvaluationThreads.js';
import { MAX_LOCAL_EVALUATION_ROWS } from '../party-agent/evaluation/LocalEvaluation.js';
import { loadBenchTable } from './_benchTables.js';
import type { ReplayMeta } from './_widthReplay.js';

/** One phase: its own peak (VmHWM reset before it), the resident set and heap split after it, CPU seconds. */
interface PhaseFigures {
  readonly phase: string;
  readonly peakRssMB: number;
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly externalMB: number;
  readonly arrayBuffersMB: number;
  readonly cpuSeconds: number;
}

const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);

function status(field: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

/** Resets this process's VmHWM to its current RSS (Linux >= 4.0: `5` to clear_refs). */
function resetPeak(): void {
  writeFileSync('/proc/self/clear_refs', '5');
}

async function phase(out: PhaseFigures[], name: string, fn: () => Promise<void>): Promise<void> {
  resetPeak();
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  const m = process.memoryUsage();
  const f = { phase: name, peakRssMB: status('VmHWM'), rssMB: status('VmRSS'), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers), cpuSeconds: Math.round((c.user + c.system) / 1e5) / 10 };
  out.push(f);
  process.stderr.write(`${JSON.stringify(f)}\n`);
}

/** Writes silo.csv (a table of codes, `gen:40:2-16:3:ROWS:SEED` of the recording's network) and schema.json into `siloDir`. */
function prepare(table: string, siloDir: string): void {
  const t = loadBenchTable(table);
  mkdirSync(siloDir, { recursive: true });
  writeFileSync(join(siloDir, 'schema.json'), JSON.stringify({ version: 1, columns: t.domain.attrs.map((name, i) => ({ name, type: 'categorical', categories: Array.from({ length: t.domain.shape[i] }, (_, k) => String(k)) })) }));
  const fd = openSync(join(siloDir, 'silo.csv'), 'w');
  try {
    writeSync(fd, t.domain.attrs.join(',') + '\n');
    const row = new Array<number>(t.columns.length);
    for (let start = 0; start < t.rowCount; start += 10_000) {
      const lines: string[] = [];
      for (let i = start; i < Math.min(t.rowCount, start + 10_000); i++) {
        for (let j = 0; j < row.length; j++) row[j] = t.columns[j][i];
        lines.push(row.join(','));
      }
      writeSync(fd, lines.join('\n') + '\n');
    }
  } finally {
    closeSync(fd);
  }
}

/** The agent's data path (startAgent, ComputeHandler, LocalEvaluation, PooledRiskContribution) on `siloDir` with the queries of recording `dir`. */
async function run(dir: string, siloDir: string): Promise<PhaseFigures[]> {
  const out: PhaseFigures[] = [];
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ReplayMeta;
  const schemaJson = readFileSync(join(siloDir, 'schema.json'), 'utf8');
  const schema = parseSchema(JSON.parse(schemaJson));
  const domain = Domain.fromJson(schemaDomain(schema));
  if (domain.attrs.join() !== meta.attrs.join() || domain.shape.join() !== meta.shape.join()) throw new Error('the silo is not of the recording\'s domain');
  await phase(out, 'start', async () => undefined);
  const source = await openSource({ kind: 'csv', path: join(siloDir, 'silo.csv'), delimiter: ',', ignoreExtraColumns: false }, schema, { tempDirectory: join(siloDir, 'duckdb-tmp') });
  let rows = 0;
  await phase(out, 'validate', async () => {
    rows = (await source.validate()).rowsUsed;
  });
  let held: Awaited<ReturnType<typeof holdOutControl>> | undefined;
  await phase(out, 'controlSplit', async () => {
    held = await holdOutControl(source, rows, domain, Math.floor(rows * 0.2), 'bench-control-seed', join(siloDir, 'rows'));
  });
  const counted = new CachingMarginalSource(held!.source);
  const queries = readdirSync(dir).filter((f) => /^q_\d+\.bin$/.test(f)).length;
  for (let k = 0; k < queries; k++) {
    const q = decodeLocalQuery(readFileSync(join(dir, `q_${k}.bin`)), domain);
    await phase(out, `round ${k} ${q.kind}`, async () => {
      await evaluateLocalQuery(q, counted, domain);
    });
  }
  const threads = new LocalEvaluationThreads();
  const outputs = mkdtempSync(join(tmpdir(), 'fedsynth-agent-phases-'));
  try {
    copyFileSync(join(dir, 'synthetic.csv'), join(outputs, 'synthetic.csv'));
    // As scheduleLocalEvaluation: the capped rows, moved to the worker (the build before: every row, copied).
    await phase(out, 'localEvaluation', async () => {
      const train = await held!.localRows.codeColumns(MAX_LOCAL_EVALUATION_ROWS);
      const control = await held!.localRows.controlColumns!(MAX_LOCAL_EVALUATION_ROWS);
      await threads.run({ dir: outputs, partyId: 'party-1', studyId: 'bench', domain: domain.attrs.map((name, i) => ({ name, size: domain.shape[i] })), schemaJson, target: domain.attrs[domain.attrs.length - 1], rows: train, control }, { transfer: true });
    });
    const train = await held!.localRows.codeColumns();
    const control = await held!.localRows.controlColumns!();
    // Off by default, as in the CLI (AGENT_PHASES_POOLED=1: every row is a target, minutes of CPU).
    if (process.env.AGENT_PHASES_POOLED === '1') {
      await phase(out, 'pooledRisk', async () => {
        await threads.runPooledRisk({ dir: outputs, studyId: 'bench', attrs: domain.attrs, shape: domain.shape, schemaJson, families: [], train, control });
      });
    }
  } finally {
    await threads.stop();
    rmSync(outputs, { recursive: true, force: true });
    await source.close();
    held?.remove();
  }
  return out;
}

/**
 * `node dist/bench/_agentPhases.js prepare gen:40:2-16:3:ROWS:1 SILO_DIR`, then
 * `node dist/bench/_agentPhases.js run REC_DIR SILO_DIR` (REC_DIR: a bench/width recording kept with
 * BENCH_WIDTH_KEEP=1, holding meta.json, q_K.bin and the coordinator replay's synthetic.csv).
 */
async function main(): Promise<void> {
  const [cmd, a, b] = process.argv.slice(2);
  if (cmd === 'prepare') prepare(a!, b!);
  else if (cmd === 'run') {
    const figures = await run(a!, b!);
    const cpu = process.cpuUsage();
    process.stdout.write(JSON.stringify({ phases: figures, peakRssMB: Math.max(...figures.map((f) => f.peakRssMB)), cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10 }) + '\n');
  } else throw new Error('usage: _agentPhases prepare TABLE SILO_DIR | run REC_DIR SILO_DIR');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
