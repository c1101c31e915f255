// runSimulation: the body of `fedsynth simulate` — split a table among N simulated parties, run a
// study on a LocalConsortium (real coordinator, agents, gRPC over mTLS), copy the outputs.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import type { Domain } from '../shared/pgm/Domain.js';
import type { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { splitParties, type PartySplit } from '../shared/data/splitParties.js';
import { cryptoRandomSource, seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { plainReleaseRhoBound } from '../shared/dp/distributed/plainReleaseBound.js';
import { epsilonFromRho, rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { Aggregation, type StudyStatus, type CreateStudyRequest } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { fromGrpcError } from '../coordinator/grpcErrors.js';
import { LocalConsortium } from './LocalConsortium.js';
import { plainGradientExposureEpsilon } from '../shared/dp/gradient/plainGradientExposure.js';
import type { DpsgdTraining, MechanismName } from '../shared/study/StudySpec.js';
import { mechanismToWire } from '../platform/wire/studySpecWire.js';

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
  log: Logger;
  progress?: ProgressSink;
}

/** Where the run reports its progress (the CLI's Progress display, or nothing). */
export interface ProgressSink {
  update(fraction: number, message: string): void;
  done(message: string): void;
}

export interface SimulationResult {
  run: Record<string, unknown>;
  status: StudyStatus;
}

const AGG: Record<SimulationOptions['aggregation'], Aggregation> = {
  plain: Aggregation.AGGREGATION_PLAIN,
  masking: Aggregation.AGGREGATION_MASKING,
  he: Aggregation.AGGREGATION_HE,
};

export async function runSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const t0 = Date.now();
  if (o.drop >= o.parties) throw new FedsynthError(ErrorCode.InvalidArgument, `--drop ${o.drop} must be smaller than --parties ${o.parties}`, { field: '--drop' });
  if (o.colluders + o.drop >= o.parties) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `--colluders ${o.colluders} plus --drop ${o.drop} must leave at least one honest party of ${o.parties}`, { field: '--colluders' });
  }
  const splitRng = o.seed !== undefined ? seededRandomSource(o.seed, 'simulate/split') : cryptoRandomSource();
  const tables = splitParties(o.table, o.parties, o.split, splitRng);
  // Plain mode: each party's vector is seen with its own noise share, which costs it up to
  // (n - f - d) times the study's rho (plainReleaseRhoBound); the simulated parties' policy allows that.
  // A plain dpsgd study exposes T rounds of one noise share instead (plainGradientExposureEpsilon).
  const plainRho =
    o.aggregation !== 'plain'
      ? undefined
      : o.training !== undefined
        ? rhoFromEpsilon(plainGradientExposureEpsilon({ epsilon: o.epsilon, delta: o.delta, sampleRate: o.training.sampleRate, rounds: o.training.rounds, honestParties: o.parties - o.colluders - o.drop }), o.delta)
        : plainReleaseRhoBound({ rho: rhoFromEpsilon(o.epsilon, o.delta), parties: o.parties, colluders: o.colluders, dropouts: o.drop });
  const consortium = new LocalConsortium({
    domain: o.domain,
    sources: tables.map((t) => new InMemoryMarginalSource(t)),
    log: o.log,
    seed: o.seed,
    policy: {
      allowedColumns: '*',
      maxEpsilonPerStudy: plainRho !== undefined ? epsilonFromRho(plainRho * (1 + 1e-6), o.delta) : o.epsilon,
      maxDeltaPerStudy: o.delta,
      allowedMechanisms: ['mst', 'aim', 'dpsgd'],
      minParties: 1,
      autoApprove: true,
      allowPlainAggregation: true,
    },
  });
  o.progress?.update(0, `starting a coordinator and ${o.parties} party agents (mTLS on 127.0.0.1)`);
  try {
    await consortium.start();
    const tStarted = Date.now();
    const req: CreateStudyRequest = {
      spec: {
        // Under --seed the study id is derived from the seed too, so model.json, run.json and the
        // manifest are byte-identical across runs (each simulation has its own coordinator).
        studyId: o.seed ? `sim-${createHash('sha256').update(`study-id:${o.seed}`).digest('hex').slice(0, 12)}` : '',
        title: `simulation ${o.mechanism} eps=${o.epsilon}`,
        mechanism: mechanismToWire(o.mechanism),
        epsilon: o.epsilon,
        delta: o.delta,
        rho: 0,
        columns: [],
        domain: o.domain.attrs.map((name, i) => ({ name, size: o.domain.shape[i] })),
        aggregation: AGG[o.aggregation],
        minParties: Math.max(1, o.parties - o.drop),
        colluders: o.colluders,
        dropouts: o.drop,
        syntheticRows: o.rows,
        domainHash: (await import('../shared/study/domainHash.js')).domainHash(o.domain),
        maxSilosPerIndividual: 1,
        targetColumn: '',
        schemaJson: o.schemaJson ?? '',
        neighbours: o.neighbours ?? 0,
        training: o.training && { ...o.training, hidden: [...o.training.hidden] },
      },
      parties: consortium.partyIds,
      seed: o.seed ?? '',
      splitNote: o.splitText,
    };
    const created = await new Promise<StudyStatus>((resolve, reject) =>
      consortium.operator.createStudy(req, (err, res) => (err ? reject(fromGrpcError(err)) : resolve(res))),
    );
    const studyId = created.spec!.studyId;
    const rho = created.spec!.rho; // converted from epsilon once, by the coordinator's operator edge
    let dropped = false;
    const final = await new Promise<StudyStatus>((resolve, reject) => {
      const stream = consortium.operator.watchStudy({ studyId });
      let last: StudyStatus | undefined;
      stream.on('data', (st: StudyStatus) => {
        last = st;
        o.progress?.update(st.progress, `${st.state}: ${st.phase} (rounds ${st.roundsDone}, rho ${st.rhoSpent.toExponential(3)} of ${rho.toExponential(3)})`);
        if (o.drop > 0 && !dropped && st.roundsDone >= 1) {
          dropped = true;
          const victims = consortium.agents.slice(consortium.agents.length - o.drop);
          o.log.warn({ parties: victims.map((a) => a.id) }, 'simulating dropouts: stopping agents mid-study');
          void Promise.all(victims.map((a) => a.stop()));
        }
      });
      stream.on('error', (e) => reject(fromGrpcError(e)));
      stream.on('end', () => (last ? resolve(last) : reject(new FedsynthError(ErrorCode.Internal, 'study status stream ended early'))));
    });
    if (final.state !== 'done') {
      throw new FedsynthError((final.errorCode || ErrorCode.Internal) as ErrorCode, `study ${studyId} ${final.state}: ${final.errorMessage}`, { studyId });
    }
    await consortium.coordinator.waitForStudy(studyId);
    mkdirSync(o.out, { recursive: true });
    const src = join(consortium.dir, 'coordinator', 'studies', studyId);
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
      partyRows: tables.map((t) => t.rowCount),
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
