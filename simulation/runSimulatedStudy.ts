// runSimulatedStudy: one study on a started LocalConsortium — created through the operator API,
// watched to its end (dropping agents mid-study when asked) — returning where its outputs are.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import type { Domain } from '../shared/pgm/Domain.js';
import { domainHash } from '../shared/study/domainHash.js';
import type { DpsgdTraining, MechanismName } from '../shared/study/StudySpec.js';
import { Aggregation, type CreateStudyRequest, type StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { fromGrpcError } from '../coordinator/grpcErrors.js';
import { mechanismToWire } from '../platform/wire/studySpecWire.js';
import type { LocalConsortium } from './LocalConsortium.js';

/** Where a run reports its progress (the CLI's Progress display, or nothing). */
export interface ProgressSink {
  update(fraction: number, message: string): void;
  done(message: string): void;
}

export interface SimulatedStudyOptions {
  readonly mechanism: MechanismName;
  readonly training?: DpsgdTraining;
  readonly epsilon: number;
  readonly delta: number;
  readonly domain: Domain;
  readonly aggregation: 'plain' | 'masking' | 'he';
  readonly rows: number;
  readonly seed?: string;
  /** Under a seed the study id is derived from the seed and this salt ('' for a single study). */
  readonly idSalt: string;
  readonly splitText: string;
  readonly parties: number;
  readonly drop: number;
  readonly colluders: number;
  readonly neighbours?: number;
  readonly schemaJson?: string;
  readonly log: Logger;
  readonly progress?: ProgressSink;
  /** Sees every status the operator API streams (benches time the rounds by it). */
  readonly onStatus?: (status: StudyStatus) => void;
}

export interface SimulatedStudy {
  readonly studyId: string;
  readonly status: StudyStatus;
  /** The coordinator's output folder of the study (synthetic.csv, model.json, run.json, manifest.json, ...). */
  readonly outputsDir: string;
}

const AGG: Record<SimulatedStudyOptions['aggregation'], Aggregation> = {
  plain: Aggregation.AGGREGATION_PLAIN,
  masking: Aggregation.AGGREGATION_MASKING,
  he: Aggregation.AGGREGATION_HE,
};

/** Creates the study, watches it until it is done (or throws the study's typed failure). */
export async function runSimulatedStudy(consortium: LocalConsortium, o: SimulatedStudyOptions): Promise<SimulatedStudy> {
  const req: CreateStudyRequest = {
    spec: {
      // Under --seed the study id is derived from the seed too, so model.json, run.json and the
      // manifest are byte-identical across runs (each simulation has its own coordinator).
      studyId: o.seed ? `sim-${createHash('sha256').update(`study-id:${o.seed}${o.idSalt}`).digest('hex').slice(0, 12)}` : '',
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
      domainHash: domainHash(o.domain),
      maxSilosPerIndividual: 1,
      targetColumn: '',
      schemaJson: o.schemaJson ?? '',
      neighbours: o.neighbours ?? 0,
      training: o.training && { ...o.training, hidden: [...o.training.hidden] },
      evaluationRho: 0,
    },
    parties: consortium.partyIds,
    seed: o.seed ?? '',
    splitNote: o.splitText,
    roundTimeoutMs: 0,
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
      o.onStatus?.(st);
      o.progress?.update(st.progress, `${st.state}: ${st.phase} (rounds ${st.roundsDone}, epsilon ${st.epsilonSpent.toFixed(3)} of ${o.epsilon}, rho ${st.rhoSpent.toExponential(3)} of ${rho.toExponential(3)})`);
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
  return { studyId, status: final, outputsDir: join(consortium.dir, 'coordinator', 'studies', studyId) };
}
