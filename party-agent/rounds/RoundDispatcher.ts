// RoundDispatcher: the agent's handler of one round request — checks the study is approved,
// routes each stage to compute, masking or HE, and answers its attempt with a reply or a typed refusal.
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import type { AgentMessage, RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import type { AggregationMode } from '../../shared/study/StudySpec.js';
import { computeStageFromWire } from '../../platform/wire/computeStageWire.js';
import { handleCompute } from './ComputeHandler.js';
import type { ApprovedStudy, ComputeContext } from './ComputeContext.js';
import { QueryAssembler } from '../../shared/wire/QueryChunks.js';
import { verifyRoundMode } from '../verification/RoundMode.js';
import type { MaskingParticipant } from './MaskingParticipant.js';
import type { HeParticipant } from './HeParticipant.js';
import type { AgentRoundObserver } from '../metrics/AgentMetrics.js';
import type { Logger } from 'pino';
import { EventLoopDelayWatch } from '../metrics/EventLoopDelayWatch.js';
import { RoundAttempts, roundKey, type RoundAttemptId } from './RoundAttempts.js';

type AgentBody = NonNullable<AgentMessage['body']>;
type ReplyStage = NonNullable<Extract<AgentBody, { $case: 'roundReply' }>['value']['stage']>;
type NoisyRelease = { noisy: Uint8Array; elementBits: number };

/** What a compute stage needs, plus the aggregation participants and the study decisions. */
export interface RoundDispatcherOptions extends ComputeContext {
  /** Without it the agent refuses masking rounds. */
  masking: MaskingParticipant | undefined;
  /** Without it the agent refuses HE rounds. */
  he: HeParticipant | undefined;
  /** Throws unless this party approved the study. */
  approvedStudy(studyId: string): ApprovedStudy;
  /** This party's id on the current connection. */
  partyId(): string;
  audit: (event: string, details: Record<string, unknown>) => void;
  /** Sees every answered compute stage and every refusal (the agent's metrics, when configured). */
  metrics?: AgentRoundObserver;
}

export class RoundDispatcher {
  /**
   * Query chunks received for a round whose compute stage has not arrived yet, by roundKey (study,
   * round), with the attempt that sent them: a retry starts its query afresh, never on top of the
   * chunks an abandoned attempt left behind.
   */
  private readonly queryChunks = new Map<string, { attempt: number; assembler: QueryAssembler }>();
  /** The newest attempt of each round that has arrived (a request of an older one is abandoned). */
  private readonly attempts = new RoundAttempts();

  constructor(private readonly opts: RoundDispatcherOptions) {}

  /**
   * Notes a request as it arrives, before it waits for the rounds ahead of it: a retry of a round
   * (a later `attempt`, same round id) supersedes the older attempt's requests still queued or running.
   */
  arrived(req: RoundRequest): void {
    this.attempts.arrived(req.studyId, req.roundId, req.attempt);
  }

  /**
   * True (logged and audited, nothing sent) when a later attempt of the request's round has arrived:
   * the coordinator no longer waits for this one. `computed`: the compute stage was answered already
   * (charged once under its key, the noisy vector recorded); the later attempt re-sends that vector.
   */
  private abandoned(req: RoundRequest, log: Logger, computed: boolean): boolean {
    const by = this.attempts.supersededBy(req.studyId, req.roundId, req.attempt);
    if (by === undefined) return false;
    log.info({ attempt: req.attempt, supersededBy: by, stage: req.stage?.$case, computed }, 'round request superseded by a later attempt of the round: not answered');
    this.opts.audit('round.superseded', { studyId: req.studyId, roundId: req.roundId, attempt: req.attempt, supersededBy: by, stage: req.stage?.$case ?? '', computed });
    return true;
  }

  /** The whole encoded query of a compute stage: its own bytes, or the chunks this attempt sent before it. */
  private assembleQuery(round: RoundAttemptId, compute: ComputeStage): Uint8Array {
    const held = this.queryChunks.get(roundKey(round));
    this.queryChunks.delete(roundKey(round));
    const assembler = held?.attempt === round.attempt ? held.assembler : undefined;
    const count = compute.queryChunkCount;
    if (count > 1) {
      if (assembler === undefined) throw new FedsynthError(ErrorCode.ProtocolViolation, `compute stage of ${count} query chunks without the earlier chunks`, { field: 'compute.query_chunk_count' });
      return assembler.finish(count, compute.query, compute.querySha256);
    }
    return new QueryAssembler(round.roundId).finish(1, compute.query, compute.querySha256);
  }

  /** Handles one round request; never throws: failures become a refusal sent back. */
  async onRound(req: RoundRequest, send: (b: AgentBody) => void): Promise<void> {
    const o = this.opts;
    const partyId = o.partyId();
    const log = o.log.child({ studyId: req.studyId, roundId: req.roundId, partyId });
    // Every reply names the attempt it answers (the coordinator matches on it).
    const reply = (stage: ReplyStage) => {
      try {
        send({ $case: 'roundReply', value: { studyId: req.studyId, roundId: req.roundId, attempt: req.attempt, stage } });
      } catch (e) {
        log.warn({ err: String(e) }, 'could not send round reply (disconnected)');
      }
    };
    if (this.abandoned(req, log, false)) return;
    try {
      const stage = req.stage;
      if (!stage) throw new FedsynthError(ErrorCode.ProtocolViolation, 'round request without a stage', { field: 'round_request.stage' });
      const study = o.approvedStudy(req.studyId);
      // The round id names its study: the masking keys and HE contributions this party signs carry
      // the round id, so a round id of another study (or of none) would let a coordinator present
      // them in a study they were not made for.
      if (!req.roundId.startsWith(`${req.studyId}/`)) {
        throw new FedsynthError(ErrorCode.ProtocolViolation, `round id ${JSON.stringify(req.roundId)} does not start with its study id`, { field: 'round_request.round_id' });
      }
      if (stage.$case === 'queryChunk') {
        const key = roundKey(req);
        let held = this.queryChunks.get(key);
        if (held?.attempt !== req.attempt) {
          // One partial query per round (a later attempt's replaces an abandoned one's); the oldest
          // round's is forgotten first (a round abandoned mid-way).
          this.queryChunks.delete(key);
          if (this.queryChunks.size >= 4) this.queryChunks.delete(this.queryChunks.keys().next().value as string);
          held = { attempt: req.attempt, assembler: new QueryAssembler(req.roundId) };
          this.queryChunks.set(key, held);
        }
        held.assembler.accept(stage.value.chunkIndex, stage.value.chunkCount, stage.value.data);
        reply({ $case: 'queryChunkAck', value: { chunkIndex: stage.value.chunkIndex } });
        return;
      }
      if (stage.$case === 'compute') {
        // The one conversion of the stage: an UNSPECIFIED or unknown mode is PROTOCOL_VIOLATION
        // naming compute.aggregation, before anything is charged or drawn; the rest reads the domain stage.
        const compute = computeStageFromWire(stage.value);
        if (!compute.participants.includes(partyId)) {
          throw new FedsynthError(ErrorCode.ProtocolViolation, 'this party is not among the round participants', { field: 'compute.participants' });
        }
        const queryBytes = this.assembleQuery(req, compute);
        // A mode this agent cannot serve, or one other than the approved study's (unless the policy
        // allows it), is refused BEFORE anything is charged or drawn (the HE key is not even looked at).
        const contribute = this.contributorFor(compute.aggregation, study, req);
        verifyRoundMode(study, compute);
        // HE: the key must be the custodian's (signed with its CA-issued certificate), made for the approved
        // study version, with a t no lower than this round's n - d; checked first.
        if (compute.aggregation === 'he') await o.he?.authenticateKey(req.studyId, compute, { specHash: study.specHash, dropouts: study.dropouts });
        const started = process.hrtime.bigint();
        const loop = new EventLoopDelayWatch();
        let maxEventLoopDelaySeconds: number;
        try {
          const out = await handleCompute({ ...o, log }, study, req.roundId, compute, queryBytes);
          // A retry arrived while this attempt computed: its release (charged once, recorded under the
          // charge key) is the retry's to send; starting this attempt's aggregation would answer nobody.
          if (this.abandoned(req, log, true)) return;
          o.audit('round.release', { studyId: req.studyId, roundId: req.roundId, label: compute.label, rho: compute.rho, cells: compute.vectorLength, aggregation: compute.aggregation });
          reply(await contribute(compute, out));
        } finally {
          maxEventLoopDelaySeconds = loop.stop();
        }
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        // The bench (bench/_widthProcesses) reads maxEventLoopDelayMs from this line of the agent's log.
        log.info({ label: compute.label, seconds: Math.round(seconds * 1000) / 1000, maxEventLoopDelayMs: Math.round(maxEventLoopDelaySeconds * 1000) }, 'compute stage answered');
        o.metrics?.computeAnswered({ aggregation: compute.aggregation, seconds, cells: compute.vectorLength, maxEventLoopDelaySeconds });
        return;
      }
      if (stage.$case === 'heEncrypt') {
        if (!o.he) throw new FedsynthError(ErrorCode.InvalidConfig, 'this agent has no signing identity for HE contributions (kit signing key)');
        // Served only from the contribution THIS attempt encrypted (another attempt: OUT_OF_STEP).
        reply(o.he.chunk(req, stage.value));
        return;
      }
      if (stage.$case === 'shareKeys' || stage.$case === 'maskedInput' || stage.$case === 'consistency' || stage.$case === 'unmask') {
        if (!o.masking) throw new FedsynthError(ErrorCode.InvalidConfig, 'this agent has no secure-aggregation identity (kit signing key)');
        reply(await o.masking.handle(req));
        return;
      }
      throw new FedsynthError(ErrorCode.ProtocolViolation, `unexpected stage ${stage.$case}`, { field: 'round_request.stage' });
    } catch (e) {
      const code = isFedsynthError(e) ? e.code : ErrorCode.Internal;
      const message = isFedsynthError(e) ? e.message : 'internal error';
      log.warn({ code }, `refusing round: ${message}`);
      o.audit('round.refused', { studyId: req.studyId, roundId: req.roundId, code });
      o.metrics?.roundRefused(code);
      reply({ $case: 'refusal', value: { code, message } });
    }
  }

  /** How this agent sends a noisy vector in `mode`; throws when it cannot (no identity for it). */
  private contributorFor(mode: AggregationMode, study: ApprovedStudy, round: RoundAttemptId): (compute: ComputeStage, out: NoisyRelease) => Promise<ReplyStage> {
    switch (mode) {
      case 'plain':
        return async (_compute, out) => ({ $case: 'plain', value: { noisyVector: Buffer.from(out.noisy), elementBits: out.elementBits } });
      case 'masking': {
        const masking = this.opts.masking;
        if (!masking) throw new FedsynthError(ErrorCode.InvalidConfig, 'this agent has no secure-aggregation identity (kit signing key)');
        return (compute, out) => masking.begin(round, compute, out, study);
      }
      case 'he': {
        const he = this.opts.he;
        if (!he) throw new FedsynthError(ErrorCode.InvalidConfig, 'this agent has no signing identity for HE contributions (kit signing key)');
        const { studyId, roundId, attempt } = round;
        return (compute, out) => he.contribute({ studyId, roundId, attempt }, compute, out, { specHash: study.specHash, dropouts: study.dropouts });
      }
    }
  }
}
