// runSimulation: the body of `fedsynth simulate` — split a table among N simulated parties, run a
// study on a LocalConsortium (real coordinator, agents, gRPC over mTLS), copy the outputs.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import type { Domain } from '../shared/pgm/Domain.js';
import type { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { splitPartyRows, type PartySplit } from '../shared/data/splitParties.js';
import type { TabularRowSource } from '../party-agent/data/trainingRows.js';
import { cryptoRandomSource, seededRandomSource } from '../shared/dp/random/RandomSource.js';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { LocalConsortium } from './LocalConsortium.js';
import type { DpsgdTraining, MechanismName } from '../shared/study/StudySpec.js';
import { runSimulatedStudy, type ProgressSink } from './runSimulatedStudy.js';
import { simulatedPolicy, simulatedStudyCapEpsilon } from './simulatedStudyCap.js';

export type { ProgressSink } from './runSimulatedStudy.js';

export interface SimulationOptions {
  table: EncodedTable;
  domain: Domain;
  parties: number;
  split: PartySplit;
  splitText: string;
  epsilon: number;
  delta: number;
  mechanism: MechanismName;
  /** Mechanism dpsgd: the training terms (completeDpsgdTraining). */
  training?: DpsgdTraining;
  aggregation: 'plain' | 'masking' | 'he';
  rows: number;
  seed?: string;
  out: string;
  drop: number;
  colluders: number;
  /** Masking: SecAgg+ neighbourhood size k (0 or omitted: the coordinator's default, docs/secagg.md). */
  neighbours?: number;
  /** The public schema (JSON text) when the table was encoded from raw data: outputs are decoded. */
  schemaJson?: string;
  /**
   * With `schemaJson`: by column, aligned with `table`'s rows, the continuous columns' values
   * (encodeRawCsv), null for the others. Each party's agent trains on its rows' values (mechanism
   * dpsgd) as a real agent does; without them a continuous column trains on its bins' centres.
   */
  values?: readonly (Float64Array | null)[];
  log: Logger;
  /** Keep the consortium's state (coordinator store, agents' ledgers) in this directory (default: a temporary one, removed). */
  workDir?: string;
  progress?: ProgressSink;
}

export interface SimulationResult {
  run: Record<string, unknown>;
  status: StudyStatus;
}

/** One simulated party's data: its table (counts) and, with raw values, its rows for gradient training. */
export interface SimulatedParty {
  table: EncodedTable;
  trainingRows?: TabularRowSource;
}

/** The rows at `indices` of `table` and of its continuous `values` (as EncodedTable.select). */
export function selectRows(table: EncodedTable, values: readonly (Float64Array | null)[] | undefined, indices: ArrayLike<number>): { table: EncodedTable; values?: (Float64Array | null)[] } {
  const picked = table.select(indices);
  if (values === undefined) return { table: picked };
  return { table: picked, values: values.map((v) => v && Float64Array.from(indices, (i) => v[i])) };
}

/**
 * Checks the party counts and splits `table` among the parties (seeded under `seed`); with
 * `values`, each party's training rows carry its rows' continuous values.
 */
export function splitSimulationTable(o: Pick<SimulationOptions, 'table' | 'values' | 'parties' | 'split' | 'seed' | 'drop' | 'colluders'>): SimulatedParty[] {
  if (o.drop >= o.parties) throw new FedsynthError(ErrorCode.InvalidArgument, `--drop ${o.drop} must be smaller than --parties ${o.parties}`, { field: '--drop' });
  if (o.colluders + o.drop >= o.parties) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `--colluders ${o.colluders} plus --drop ${o.drop} must leave at least one honest party of ${o.parties}`, { field: '--colluders' });
  }
  const splitRng = o.seed !== undefined ? seededRandomSource(o.seed, 'simulate/split') : cryptoRandomSource();
  return splitPartyRows(o.table, o.parties, o.split, splitRng).map((rows) => {
    const part = selectRows(o.table, o.values, rows);
    if (part.values === undefined) return { table: part.table };
    const training = { rows: part.table.rowCount, codes: part.table.columns.map((c) => Int32Array.from(c)), values: part.values };
    return { table: part.table, trainingRows: { tabularRows: async () => training } };
  });
}

/**
 * The local consortium (a coordinator and one agent per simulated party) that runs a simulation's
 * studies; each agent's policy caps a study at `studyCap`, its ledger at `lifetimeEpsilon` if given.
 */
export function simulatedConsortium(
  o: Pick<SimulationOptions, 'domain' | 'log' | 'seed' | 'workDir'>,
  parties: readonly SimulatedParty[],
  studyCap: { epsilon: number; delta: number },
  lifetimeEpsilon?: number,
): LocalConsortium {
  return new LocalConsortium({
    domain: o.domain,
    sources: parties.map((p) => new InMemoryMarginalSource(p.table)),
    trainingRows: parties.map((p) => p.trainingRows),
    log: o.log,
    seed: o.seed,
    workDir: o.workDir,
    policy: simulatedPolicy(studyCap.epsilon, studyCap.delta),
    lifetimeEpsilon,
  });
}

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const t0 = Date.now();
  const parties = splitSimulationTable(o);
  const cap = simulatedStudyCapEpsilon({ ...o, training: o.training });
  const consortium = simulatedConsortium(o, parties, { epsilon: cap, delta: o.delta });
  o.progress?.update(0, `starting a coordinator and ${o.parties} party agents (mTLS on 127.0.0.1)`);
  try {
    await consortium.start();
    const tStarted = Date.now();
    const { status: final, outputsDir: src } = await runSimulatedStudy(consortium, { ...o, idSalt: '' });
    mkdirSync(o.out, { recursive: true });
    // run.json is copied as the coordinator signed it (so `fedsynth verify DIR` passes); the
    // simulation's own details go to simulate.json.
    for (const f of ['synthetic.csv', 'synthetic.parquet', 'model.json', 'run.json', 'manifest.json']) copyFileSync(join(src, f), join(o.out, f));
    const coordRun = JSON.parse(readFileSync(join(src, 'run.json'), 'utf8')) as Record<string, unknown>;
    const run = {
      ...coordRun,
      command: 'simulate',
      parties: o.parties,
      split: o.splitText,
      seed: o.seed ?? null,
      colluders: o.colluders,
      requestedDrops: o.drop,
      partyRows: parties.map((p) => p.table.rowCount),
      partyDetails: coordRun.parties,
      timings: { ...(coordRun.timings as object), studySeconds: (Date.now() - tStarted) / 1000, totalSeconds: (Date.now() - t0) / 1000 },
    };
    writeFileSync(join(o.out, 'simulate.json'), JSON.stringify(run, null, 2));
    o.progress?.done(`done: ${o.rows} synthetic rows in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${join(o.out, 'synthetic.csv')}`);
    return { run, status: final };
  } finally {
    await consortium.stop();
  }
}
