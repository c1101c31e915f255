// _widthProcesses: one bench/width case through the real product — a coordinator and one agent per
// party as separate processes (gRPC, mTLS, masking), CSV silos; per-process CPU seconds and peak RSS.
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EncodedTable } from '../shared/data/EncodedTable.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { ProcessConsortium, sleep } from '../test/support/ProcessConsortium.js';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';

export interface ProcessCaseOptions {
  readonly mechanism: 'mst' | 'aim';
  readonly epsilon: number;
  readonly delta: number;
  /** Synthetic rows of the study. */
  readonly rows: number;
  /** Share of each silo held back as its control sample (the local risk evaluation); 0: none. */
  readonly controlShare: number;
  /** Share of the study's rho for the post-delivery pooled risk release (0: off, the CLI's default). */
  readonly pooledRiskShare: number;
  /** Where the coordinator's synthetic.csv is copied for scoring (the caller reads it). */
  readonly keepSynthetic: string;
}

/** CPU seconds (user + system, all threads) and peak resident set (VmHWM) of one process. */
export interface ProcessFigures {
  readonly cpuSeconds: number;
  readonly peakRssMB: number;
}

export interface ProcessCaseResult {
  readonly state: string;
  readonly error?: string;
  readonly wallSeconds: number;
  /** Wall seconds from study creation to the last round, to 'delivering', to 'done', to every local report. */
  readonly phases: Readonly<Record<string, number>>;
  readonly rounds: number;
  /** Round attempts that failed for lack of parties and were retried (the coordinator's log). */
  readonly roundsRetried: number;
  readonly coordinator: ProcessFigures;
  readonly agents: readonly (ProcessFigures & { readonly party: string; readonly rows: number } & AgentLoopFigures)[];
  readonly localReports: number;
  readonly pooledRiskReleased: boolean | null;
}

/** From an agent's log: compute stages answered and the largest event-loop delay of any (RoundDispatcher). */
export interface AgentLoopFigures {
  readonly computeStages: number;
  readonly maxEventLoopDelayMs: number;
}

function agentLoopFigures(lines: readonly Record<string, unknown>[]): AgentLoopFigures {
  const answered = lines.filter((l) => l.msg === 'compute stage answered');
  return { computeStages: answered.length, maxEventLoopDelayMs: answered.reduce((m, l) => Math.max(m, Number(l.maxEventLoopDelayMs ?? 0)), 0) };
}

const CLK_TCK = 100;

/** The figures of a live process from /proc (Linux); zeros once it has gone. */
function procFigures(pid: number | undefined): ProcessFigures {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return { cpuSeconds: 0, peakRssMB: 0 };
  // Fields after the command name (which may hold spaces): utime is field 14, stime 15 (1-based).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(rest[11]) + Number(rest[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return { cpuSeconds: Math.round((ticks / CLK_TCK) * 10) / 10, peakRssMB: hwm ? Math.round(Number(hwm[1]) / 1024) : 0 };
}

/** A schema of categorical columns whose labels are the codes themselves ("0", "1", ...). */
export function codeSchema(attrs: readonly string[], shape: readonly number[]): unknown {
  return { version: 1, columns: attrs.map((name, i) => ({ name, type: 'categorical', categories: Array.from({ length: shape[i] }, (_, k) => String(k)) })) };
}

/** Writes a table as a CSV of codes (header + rows) in blocks of rows. */
function writeCodeCsv(path: string, t: EncodedTable): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
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

/**
 * Runs one study on `parts` (one silo per party) through separate processes and returns what each
 * process used. The processes are read from /proc just before they are stopped (VmHWM is the peak
 * of the whole run; CPU includes the worker threads).
 */
export async function runProcessCase(parts: readonly EncodedTable[], o: ProcessCaseOptions): Promise<ProcessCaseResult> {
  const domain = parts[0].domain;
  const parties = parts.map((_, i) => `party-${i + 1}`);
  const schemaDir = mkdtempSync(join(tmpdir(), 'fedsynth-width-schema-'));
  const schemaFile = join(schemaDir, 'schema.json');
  writeFileSync(schemaFile, JSON.stringify(codeSchema(domain.attrs, domain.shape)));
  const c = new ProcessConsortium({
    name: 'width-processes',
    parties,
    table: {
      schemaFile,
      target: domain.attrs[domain.attrs.length - 1],
      controlShare: o.controlShare,
      siloRows: (p) => parts[parties.indexOf(p)].rowCount,
      writeSilos: (files) => files.forEach((f, i) => writeCodeCsv(f, parts[i])),
    },
  });
  const t0 = Date.now();
  const phases: Record<string, number> = {};
  const mark = (name: string): void => {
    phases[name] ??= Math.round((Date.now() - t0) / 100) / 10;
  };
  try {
    await c.setup();
    // The product's default round timeout (the fixture's own is shorter).
    await c.startCoordinator({ extraArgs: ['--round-timeout', '120000'] });
    c.startAgents();
    const rho = rhoFromEpsilon(o.epsilon, o.delta);
    const studyId = await c.createStudy({ mechanism: o.mechanism, epsilon: o.epsilon, delta: o.delta, rows: o.rows, aggregation: 'masking', minParties: 2, evaluationRho: o.pooledRiskShare * rho, onlineTimeoutMs: 3600_000 });
    mark('created');
    let final: StudyStatus | undefined;
    let error: string | undefined;
    try {
      final = await c.waitForStudy(
        studyId,
        (s) => {
          if (s.state === 'fitting') mark('roundsDone');
          if (s.state === 'delivering') mark('delivering');
          return s.state === 'done';
        },
        4 * 3600_000,
        1000,
      );
      mark('done');
    } catch (e) {
      error = (e as Error).message;
    }
    const reports = parties.map((p) => join(c.stateDir(p), 'outputs', studyId, 'report.json'));
    if (final) {
      const deadline = Date.now() + 3600_000;
      while (!reports.every((f) => existsSync(f)) && Date.now() < deadline && [...c.agents.values()].every((a) => a.running)) await sleep(500);
      mark('localReports');
    }
    const figures = {
      coordinator: procFigures(c.coordinator?.child.pid),
      agents: parties.map((p, i) => ({ party: p, rows: parts[i].rowCount, ...procFigures(c.agents.get(p)?.child.pid), ...agentLoopFigures(c.agents.get(p)?.logLines() ?? []) })),
    };
    const roundsRetried = (c.coordinator?.logLines() ?? []).filter((l) => l.msg === 'round failed for lack of parties; retrying when they are back').length;
    const dir = join(c.coordinatorDataDir, 'studies', studyId);
    let pooled: boolean | null = null;
    if (final) {
      writeFileSync(o.keepSynthetic, readFileSync(join(dir, 'synthetic.csv')));
      if (o.pooledRiskShare > 0) {
        const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as { pooledRisk?: { released?: boolean } };
        pooled = report.pooledRisk?.released ?? false;
      }
    }
    return {
      state: final?.state ?? 'failed',
      ...(error ? { error: error.slice(0, 2000) } : {}),
      wallSeconds: Math.round((Date.now() - t0) / 100) / 10,
      phases,
      rounds: final?.roundsDone ?? 0,
      roundsRetried,
      ...figures,
      localReports: reports.filter((f) => existsSync(f)).length,
      pooledRiskReleased: pooled,
    };
  } finally {
    await c.stop({ keep: process.env.BENCH_WIDTH_KEEP === '1' });
    rmSync(schemaDir, { recursive: true, force: true });
  }
}
