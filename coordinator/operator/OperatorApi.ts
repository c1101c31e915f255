// OperatorApi: the coordinator's gRPC service for operators (create, list, watch, cancel studies,
// fetch outputs); callers must present a consortium certificate with the operator or coordinator role.
import { epsilonFromLoss } from '../../shared/dp/accounting/rdpConversion.js';
import type { PrivacyLoss } from '../../shared/dp/accounting/PrivacyLoss.js';
import { completeDpsgdTraining } from '../../shared/study/dpsgdTraining.js';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { epsilonFromRho, rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { isTerminal } from '../../shared/study/StudyLifecycle.js';
import { roundThreshold } from '../../shared/secagg/SurvivorThreshold.js';
import { resolveNeighbours } from '../../shared/secagg/NeighbourhoodPolicy.js';
import { feasibilityProblems } from '../../shared/study/studyFeasibility.js';
import { unreleasedRhoByParty } from '../../shared/study/RoundAccount.js';
import {
  Aggregation,
  Mechanism,
  StudySpec,
  type OperatorServiceServer,
  type StudyStatus,
  type CreateStudyRequest,
  type FileChunk,
  type GetStudyRequest,
} from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import { peerWithRole } from '../gateway/peerIdentity.js';
import { toGrpcError } from '../grpcErrors.js';
import { OUTPUT_FILES } from '../delivery/StudyOutputs.js';
import { OPERATOR_REPORT_FILES } from '../delivery/signConsortiumReport.js';
import type { StudySpec as DomainStudySpec } from '../../shared/study/StudySpec.js';
import { aggregationToWire, mechanismToWire, studySpecFromWire, studySpecToJson } from '../../platform/wire/studySpecWire.js';
import { checkRoundTimeoutMs, DEFAULT_ROUND_TIMEOUT_MS, studyRoundTimeoutMs } from '../../shared/study/roundTimeout.js';

export interface OperatorApiDeps {
  store: CoordinatorStore;
  gateway: AgentGateway;
  log: Logger;
  outputsDir: string;
  isRevoked: (serial: string) => boolean;
  allowSeeds: boolean;
  startStudy: (studyId: string) => void;
  audit: (event: string, details: Record<string, unknown>) => void;
  /** The coordinator's round timeout (ms): a study's when it sets none (StudyStatus.round_timeout_ms). */
  roundTimeoutMs?: number;
}

/** Only operator certificates operate studies (`pki issue --role operator`) and read the console; the coordinator's own kit does not. */
export const OPERATOR_ROLES: ReadonlySet<string> = new Set(['operator']);

/** Epsilon at delta of a composed loss (rho zCDP plus RDP curves), 0 when nothing was spent. */
function lossEpsilon(loss: PrivacyLoss, delta: number): number {
  const rdp = loss.rdp !== undefined && loss.rdp.some((e) => e > 0);
  return loss.rho > 0 || rdp ? epsilonFromLoss(loss, delta) : 0;
}

export function statusOf(store: CoordinatorStore, gateway: AgentGateway, studyId: string, coordinatorRoundTimeoutMs = DEFAULT_ROUND_TIMEOUT_MS): StudyStatus {
  const rec = store.getStudy(studyId);
  const spec = StudySpec.fromJSON(JSON.parse(rec.specJson));
  const online = new Set(gateway.onlineParties());
  const accounts = store.roundAccounts(studyId);
  const unreleased = unreleasedRhoByParty(accounts);
  const parties = store.parties(studyId);
  // A party has its outputs when it confirmed every output file.
  const holding = store.partiesHolding(studyId, OUTPUT_FILES);
  const delivered = (partyId: string): boolean => holding.has(partyId);
  const approved = parties.filter((p) => p.decision === 'approved');
  return {
    spec,
    state: rec.state,
    roundsDone: store.roundsDone(studyId),
    rhoSpent: rec.rhoSpent,
    epsilonSpent: lossEpsilon(store.releasedLoss(studyId), spec.delta),
    progress: rec.progress,
    parties: parties.map((p) => ({
      partyId: p.partyId,
      online: online.has(p.partyId),
      decision: p.decision,
      rhoCharged: p.rhoCharged,
      dropped: p.dropped,
      rhoChargedUnreleased: unreleased.get(p.partyId) ?? 0,
      outputsDelivered: p.decision === 'approved' && delivered(p.partyId),
    })),
    errorCode: rec.errorCode,
    errorMessage: rec.errorMessage,
    createdUnixMs: rec.createdMs,
    updatedUnixMs: rec.updatedMs,
    phase: rec.phase,
    outputs: rec.state === 'done' ? [...OUTPUT_FILES] : [],
    rounds: accounts.map((a) => ({
      index: a.roundIndex + 1,
      label: a.label,
      rho: a.rho,
      outcome: a.outcome,
      attempts: a.attempts,
      asked: [...a.asked],
      charged: [...a.charged],
      releasedTo: [...a.releasedTo],
      charges: a.charges,
      errorCode: a.errorCode,
      errorMessage: a.errorMessage,
      summary: a.summary,
    })),
    partiesDelivered: rec.state === 'delivering' || rec.state === 'done' ? approved.filter((p) => delivered(p.partyId)).length : 0,
    partiesToDeliver: approved.length,
    roundTimeoutMs: studyRoundTimeoutMs(rec.roundTimeoutMs, coordinatorRoundTimeoutMs),
  };
}

/** Validates and completes an operator's study request (ids, rho from epsilon/delta, defaults). */
export function completeSpec(req: CreateStudyRequest, onlineParties: readonly string[], allowSeeds: boolean): { spec: DomainStudySpec; parties: string[]; seed: string; roundTimeoutMs: number } {
  const spec = req.spec;
  if (!spec) throw new FedsynthError(ErrorCode.InvalidArgument, 'create_study.spec is required', { field: 'spec' });
  const fail = (field: string, why: string): never => {
    throw new FedsynthError(ErrorCode.InvalidArgument, `spec.${field}: ${why}`, { field: `spec.${field}` });
  };
  if (!(spec.epsilon > 0) || !Number.isFinite(spec.epsilon)) fail('epsilon', 'must be a positive number');
  if (!(spec.delta > 0 && spec.delta < 1)) fail('delta', 'must be in (0, 1)');
  if (spec.domain.length === 0) fail('domain', 'must list at least one column');
  for (const c of spec.domain) if (!c.name || !(c.size >= 1)) fail('domain', `column '${c.name}' needs a name and a size >= 1`);
  if (spec.mechanism === Mechanism.MECHANISM_UNSPECIFIED) fail('mechanism', 'must be MST, AIM or DPSGD');
  // DP-SGD: the training terms the parties will approve, defaulted and checked here once.
  const training = spec.mechanism === Mechanism.MECHANISM_DPSGD ? completeDpsgdTraining(spec.training) : undefined;
  if (training === undefined && spec.training !== undefined) fail('training', 'applies to the dpsgd mechanism only');
  if (spec.aggregation === Aggregation.AGGREGATION_UNSPECIFIED) fail('aggregation', 'must be plain, masking or he');
  if (!(spec.syntheticRows >= 1)) fail('synthetic_rows', 'must be >= 1');
  const roundTimeoutMs = checkRoundTimeoutMs(req.roundTimeoutMs, 'round_timeout_ms');
  if (req.seed && !allowSeeds) throw new FedsynthError(ErrorCode.InvalidArgument, 'seeds are for simulations only; this coordinator refuses them', { field: 'seed' });
  const parties = req.parties.length > 0 ? [...new Set(req.parties)].sort() : [...onlineParties].sort();
  if (parties.length === 0) fail('parties', 'no parties invited and none online');
  if (parties.length < 2 && spec.aggregation !== Aggregation.AGGREGATION_PLAIN) {
    fail('aggregation', 'secure aggregation needs at least 2 parties (the sum of one vector is that vector); use plain for a single party');
  }
  const studyId = spec.studyId || `study-${new Date().toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex')}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(studyId)) fail('study_id', 'use letters, digits, ".", "_" or "-"');
  const rho = rhoFromEpsilon(spec.epsilon, spec.delta);
  const domainColumns = spec.domain.map((c) => c.name);
  const minParties = Math.max(1, spec.minParties || Math.min(parties.length, 2));
  // A study that could never finish must not start (and so charge no party): every term at once.
  const infeasible = feasibilityProblems({
    syntheticRows: spec.syntheticRows,
    columns: spec.domain.length,
    minParties,
    colluders: spec.colluders,
    dropouts: spec.dropouts,
    invited: parties.length,
    rho,
    evaluationRho: spec.evaluationRho,
    dpsgd: spec.mechanism === Mechanism.MECHANISM_DPSGD,
  });
  if (infeasible.length > 0) {
    throw new FedsynthError(ErrorCode.InvalidArgument, infeasible.map((p) => `spec.${p.field}: ${p.message}`).join('; '), { field: `spec.${infeasible[0].field}` });
  }
  // SecAgg+ neighbourhood: validated (or chosen, when 0) against the invited consortium; the agents
  // re-check it against each round's actual n, t and f (shared/secagg/NeighbourhoodPolicy.ts).
  let neighbours = 0;
  if (spec.aggregation === Aggregation.AGGREGATION_MASKING && parties.length >= 2) {
    const threshold = Math.min(parties.length, roundThreshold({ parties: parties.length, colluders: spec.colluders, dropouts: spec.dropouts }, minParties, 'masking'));
    neighbours = resolveNeighbours({ parties: parties.length, threshold, colluders: spec.colluders }, spec.neighbours);
  } else if (spec.neighbours !== 0 && spec.aggregation !== Aggregation.AGGREGATION_MASKING) {
    fail('neighbours', 'applies to masking aggregation only');
  }
  const full = studySpecFromWire({
    ...spec,
    studyId,
    rho,
    columns: spec.columns.length > 0 ? spec.columns : domainColumns,
    minParties,
    neighbours,
    maxSilosPerIndividual: Math.max(1, spec.maxSilosPerIndividual || 1),
    training: training && { ...training, hidden: [...training.hidden] },
  });
  return { spec: full, parties, seed: req.seed || randomBytes(32).toString('hex'), roundTimeoutMs };
}

/**
 * Refuses an invitation naming a party this coordinator has never known (never online, never
 * decided on a study): a typo would otherwise wait for an answer that cannot come. NOT_FOUND names
 * every unknown party.
 */
export function assertKnownParties(invited: readonly string[], known: Iterable<string>): void {
  const knownSet = new Set(known);
  const unknown = invited.filter((p) => !knownSet.has(p));
  if (unknown.length > 0) {
    throw new FedsynthError(
      ErrorCode.NotFound,
      `unknown ${unknown.length === 1 ? 'party' : 'parties'} ${unknown.map((p) => `'${p}'`).join(', ')}: no agent with ${unknown.length === 1 ? 'this id' : 'these ids'} has connected to this coordinator; check the name (the id in the party's certificate) or start its agent first`,
      { field: 'parties', parties: unknown },
    );
  }
}

export function operatorApi(d: OperatorApiDeps): OperatorServiceServer {
  const timeout = d.roundTimeoutMs ?? DEFAULT_ROUND_TIMEOUT_MS;
  const authorize = (call: object): string => {
    return peerWithRole(call, d.isRevoked, OPERATOR_ROLES, 'operate studies').partyId;
  };
  const unary =
    <Req, Res>(fn: (req: Req, who: string) => Res): grpc.handleUnaryCall<Req, Res> =>
    (call, cb) => {
      try {
        const who = authorize(call);
        cb(null, fn(call.request, who));
      } catch (e) {
        d.log.warn({ err: (e as Error).message }, 'operator request refused');
        cb(toGrpcError(e));
      }
    };
  return {
    createStudy: unary((req: CreateStudyRequest, who) => {
      const { spec, parties, seed, roundTimeoutMs } = completeSpec(req, d.gateway.onlineParties(), d.allowSeeds);
      assertKnownParties(parties, [...d.gateway.onlineParties(), ...d.store.knownParties()]);
      if (d.store.hasStudy(spec.studyId)) throw new FedsynthError(ErrorCode.InvalidArgument, `study ${spec.studyId} already exists`, { field: 'spec.study_id' });
      d.store.createStudy({ id: spec.studyId, specJson: JSON.stringify(studySpecToJson(spec)), seed, parties, roundTimeoutMs });
      d.audit('study.created', { studyId: spec.studyId, by: who, epsilon: spec.epsilon, delta: spec.delta, rho: spec.rho, parties, mechanism: Mechanism[mechanismToWire(spec.mechanism)], aggregation: Aggregation[aggregationToWire(spec.aggregation)], roundTimeoutMs: studyRoundTimeoutMs(roundTimeoutMs, timeout) });
      d.startStudy(spec.studyId);
      return statusOf(d.store, d.gateway, spec.studyId, timeout);
    }),
    listStudies: unary(() => ({ studies: d.store.listStudies().map((s) => statusOf(d.store, d.gateway, s.id, timeout)) })),
    getStudy: unary((req: GetStudyRequest) => statusOf(d.store, d.gateway, req.studyId, timeout)),
    cancelStudy: unary((req: { studyId: string; reason: string }, who) => {
      const rec = d.store.getStudy(req.studyId);
      if (!isTerminal(rec.state)) d.store.setState(req.studyId, 'cancelled', { phase: `cancelled by ${who}`, errorMessage: req.reason });
      d.audit('study.cancelled', { studyId: req.studyId, by: who, reason: req.reason });
      return statusOf(d.store, d.gateway, req.studyId, timeout);
    }),
    watchStudy: (call: grpc.ServerWritableStream<GetStudyRequest, StudyStatus>) => {
      let last = '';
      let timer: NodeJS.Timeout | undefined;
      const tick = () => {
        try {
          const st = statusOf(d.store, d.gateway, call.request.studyId, timeout);
          const key = JSON.stringify([st.state, st.roundsDone, st.progress, st.phase, st.parties, st.rounds.map((r) => [r.outcome, r.attempts, r.charges])]);
          if (key !== last) {
            last = key;
            call.write(st);
          }
          if (isTerminal(st.state as never)) {
            if (timer) clearInterval(timer);
            call.end();
          }
        } catch (e) {
          if (timer) clearInterval(timer);
          call.emit('error', toGrpcError(e));
        }
      };
      try {
        authorize(call);
      } catch (e) {
        call.emit('error', toGrpcError(e));
        return;
      }
      timer = setInterval(tick, 200);
      call.on('cancelled', () => timer && clearInterval(timer));
      tick();
    },
    fetchOutput: (call: grpc.ServerWritableStream<{ studyId: string; fileName: string }, FileChunk>) => {
      try {
        authorize(call);
        const { studyId, fileName } = call.request;
        d.store.getStudy(studyId);
        if (![...OUTPUT_FILES, ...OPERATOR_REPORT_FILES].includes(fileName as never)) throw new FedsynthError(ErrorCode.NotFound, `no output named '${fileName}'`, { field: 'file_name' });
        const p = join(d.outputsDir, studyId, fileName);
        if (!existsSync(p)) throw new FedsynthError(ErrorCode.NotFound, `study ${studyId} has no ${fileName} yet`, { studyId });
        const data = readFileSync(p);
        const sha256 = createHash('sha256').update(data).digest('hex');
        const CHUNK = 1 << 20;
        for (let off = 0; ; off += CHUNK) {
          const last = off + CHUNK >= data.length;
          call.write({ fileName, offset: off, data: data.subarray(off, off + CHUNK), last, sha256: last ? sha256 : '' });
          if (last) break;
        }
        call.end();
      } catch (e) {
        call.emit('error', toGrpcError(e));
      }
    },
  };
}
