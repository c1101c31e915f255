// PartyAgent: the process next to a silo. It dials the coordinator, shows its operator what each
// study asks, joins only what its policy (or operator) approves, answers rounds with noisy,
// ledger-charged contributions, and stores the delivered results.
import { createHash } from 'node:crypto';
import { mkdirSync, createWriteStream, renameSync, readFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError, isFedsynthError } from '../shared/errors/FedsynthError.js';
import type { Domain } from '../shared/pgm/Domain.js';
import type { MarginalSource } from '../shared/data/MarginalSource.js';
import type { RandomSource } from '../shared/dp/random/RandomSource.js';
import { VERSION } from '../shared/version.js';
import { Aggregation, Mechanism, type CoordinatorMessage, type AgentMessage, type StudySpec, type RoundRequest, type ComputeStage } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { AgentConnection, type AgentTls } from './transport/AgentConnection.js';
import { AgentStore } from './state/AgentStore.js';
import { judgeStudy, type AgentPolicy } from './policy/StudyPolicy.js';
import { handleCompute, type ApprovedStudy, type BudgetCharger } from './rounds/ComputeHandler.js';
import { domainHash } from '../shared/study/domainHash.js';
import { MaskingParticipant, type SecAggIdentity } from './rounds/MaskingParticipant.js';
import { HeParticipant } from './rounds/HeParticipant.js';
import { scheduleLocalEvaluation, type LocalRowSource } from './evaluation/LocalEvaluation.js';

type AgentBody = NonNullable<AgentMessage['body']>;
type ReplyStage = NonNullable<Extract<AgentBody, { $case: 'roundReply' }>['value']['stage']>;
type NoisyRelease = { noisy: Uint8Array; elementBits: number };

export interface PartyAgentOptions {
  coordinatorAddress: string;
  tls: AgentTls;
  domain: Domain;
  source: MarginalSource;
  policy: AgentPolicy;
  stateDir: string;
  ledger: BudgetCharger;
  noiseRng: RandomSource;
  log: Logger;
  /** Identity for secure aggregation (masking); without it the agent refuses masking rounds. */
  secagg?: SecAggIdentity;
  /** Randomness for secure-aggregation keys, seeds and nonces. */
  secaggRng?: RandomSource;
  /** Audit hook: every decision and release is recorded by the caller's audit log. */
  audit?: (event: string, details: Record<string, unknown>) => void;
  /** This party's rows as codes, for the local-only evaluation of delivered outputs (default: from `source` when in memory). */
  localRows?: LocalRowSource;
}

interface Download {
  file: string;
  tmp: string;
  out: WriteStream;
  hash: ReturnType<typeof createHash>;
  offset: number;
}

export class PartyAgent {
  readonly store: AgentStore;
  private readonly conn: AgentConnection;
  private partyId = '';
  private readonly downloads = new Map<string, Download>();
  private pendingPoll: NodeJS.Timeout | undefined;
  private readonly sentDecisions = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private readonly masking: MaskingParticipant | undefined;
  private readonly he: HeParticipant | undefined;

  constructor(private readonly opts: PartyAgentOptions) {
    mkdirSync(opts.stateDir, { recursive: true });
    this.store = new AgentStore(join(opts.stateDir, 'agent.sqlite'));
    this.masking = opts.secagg && opts.secaggRng ? new MaskingParticipant(opts.secagg, opts.secaggRng, { minNeighbours: opts.policy.minNeighbours ?? 0 }) : undefined;
    this.he = opts.secagg ? new HeParticipant(opts.secagg) : undefined;
    this.conn = new AgentConnection(
      { address: opts.coordinatorAddress, tls: opts.tls, log: opts.log },
      {
        hello: () => ({ knownStudyIds: this.store.studies().map((s) => s.studyId), domainHash: domainHash(opts.domain), softwareVersion: VERSION }),
        onConnected: (id) => {
          this.partyId = id;
          this.sentDecisions.clear();
          this.flushDecisions();
        },
        onMessage: (msg, send) => this.onMessage(msg, send),
      },
    );
  }

  start(): void {
    this.conn.start();
    // Operator approvals (`fedsynth agent approve`) land in the state file; pick them up.
    this.pendingPoll = setInterval(() => this.flushDecisions(), 1000);
    this.pendingPoll.unref();
  }

  async stop(): Promise<void> {
    if (this.pendingPoll) clearInterval(this.pendingPoll);
    this.conn.stop();
    await this.queue.catch(() => undefined);
    this.he?.dispose();
    this.store.close();
  }

  get id(): string {
    return this.partyId;
  }

  private audit(event: string, details: Record<string, unknown>): void {
    try {
      this.opts.audit?.(event, details);
    } catch (e) {
      // Never let audit I/O (e.g. a log closed during shutdown) crash the agent; say so loudly.
      this.opts.log.error({ event, err: (e as Error).message }, 'could not append to the audit log');
    }
  }

  private flushDecisions(): void {
    if (!this.conn.connected) return;
    for (const s of this.store.studies()) {
      if (s.decision === 'pending' || this.sentDecisions.has(s.studyId)) continue;
      try {
        this.conn.send({ $case: 'studyDecision', value: { studyId: s.studyId, approved: s.decision === 'approved', reason: s.reason } });
        this.sentDecisions.add(s.studyId);
      } catch {
        return;
      }
    }
  }

  private onMessage(msg: CoordinatorMessage, send: (b: AgentBody) => void): void {
    const body = msg.body;
    if (!body) return;
    switch (body.$case) {
      case 'studyAnnouncement':
        this.onAnnouncement(body.value.spec, body.value.parties);
        return;
      case 'roundRequest': {
        const req = body.value;
        // Rounds are handled one at a time, in order.
        this.queue = this.queue.then(() => this.onRound(req, send)).catch((e) => this.opts.log.error({ err: String(e) }, 'round handler failed'));
        return;
      }
      case 'delivery':
        this.onDelivery(body.value, send);
        return;
      case 'error':
        this.opts.log.warn({ code: body.value.code, studyId: body.value.studyId }, `coordinator reported: ${body.value.message}`);
        return;
      default:
        return;
    }
  }

  private onAnnouncement(spec: StudySpec | undefined, parties: string[]): void {
    if (!spec) return;
    const log = this.opts.log.child({ studyId: spec.studyId });
    const known = this.store.study(spec.studyId);
    if (known && known.decision !== 'pending') {
      this.flushDecisions();
      return;
    }
    if (spec.domainHash !== domainHash(this.opts.domain)) {
      this.store.upsertStudy(spec.studyId, JSON.stringify({ spec, parties }), 'refused', 'the study domain differs from this agent\'s schema');
      this.flushDecisions();
      return;
    }
    const mechanism = spec.mechanism === Mechanism.MECHANISM_AIM ? 'aim' : 'mst';
    const aggregation = spec.aggregation === Aggregation.AGGREGATION_PLAIN ? 'plain' : spec.aggregation === Aggregation.AGGREGATION_HE ? 'he' : 'masking';
    const verdict = judgeStudy(this.opts.policy, {
      studyId: spec.studyId,
      mechanism,
      epsilon: spec.epsilon,
      delta: spec.delta,
      columns: spec.columns,
      parties: parties.length,
      aggregation,
    });
    log.info(
      { mechanism, epsilon: spec.epsilon, delta: spec.delta, rho: spec.rho, columns: spec.columns, parties: parties.length, aggregation, verdict: verdict.kind },
      `study ${spec.studyId} asks: ${mechanism.toUpperCase()} on ${spec.columns.length} columns at epsilon ${spec.epsilon}, delta ${spec.delta}`,
    );
    const stored = JSON.stringify({ spec, parties });
    if (verdict.kind === 'approve') this.store.upsertStudy(spec.studyId, stored, 'approved', 'approved by policy');
    else if (verdict.kind === 'refuse') this.store.upsertStudy(spec.studyId, stored, 'refused', verdict.reasons.join('; '));
    else {
      this.store.upsertStudy(spec.studyId, stored, 'pending', verdict.why);
      log.warn(`study ${spec.studyId} waits for approval: run \`fedsynth agent approve ${spec.studyId} --state ${this.opts.stateDir}\``);
    }
    this.audit('study.decision', { studyId: spec.studyId, decision: verdict.kind, epsilon: spec.epsilon, delta: spec.delta, mechanism });
    this.flushDecisions();
  }

  private approvedStudy(studyId: string): ApprovedStudy {
    const s = this.store.study(studyId);
    if (!s) throw new FedsynthError(ErrorCode.UnknownStudy, `unknown study ${studyId}`, { studyId });
    if (s.decision !== 'approved') throw new FedsynthError(ErrorCode.PolicyRefused, `study ${studyId} is not approved by this party`, { studyId });
    const { spec, parties } = JSON.parse(s.specJson) as { spec: StudySpec; parties: string[] };
    return {
      studyId,
      studyRho: spec.rho,
      colluders: spec.colluders,
      dropouts: spec.dropouts,
      maxSilosPerIndividual: Math.max(1, spec.maxSilosPerIndividual),
      parties,
    };
  }

  private async onRound(req: RoundRequest, send: (b: AgentBody) => void): Promise<void> {
    const log = this.opts.log.child({ studyId: req.studyId, roundId: req.roundId, partyId: this.partyId });
    const reply = (stage: ReplyStage) => {
      try {
        send({ $case: 'roundReply', value: { studyId: req.studyId, roundId: req.roundId, stage } });
      } catch (e) {
        log.warn({ err: String(e) }, 'could not send round reply (disconnected)');
      }
    };
    try {
      const stage = req.stage;
      if (!stage) throw new FedsynthError(ErrorCode.ProtocolViolation, 'round request without a stage', { field: 'round_request.stage' });
      const study = this.approvedStudy(req.studyId);
      if (stage.$case === 'compute') {
        if (!stage.value.participants.includes(this.partyId)) {
          throw new FedsynthError(ErrorCode.ProtocolViolation, 'this party is not among the round participants', { field: 'compute.participants' });
        }
        // A mode this agent cannot serve is refused BEFORE anything is charged or drawn.
        const contribute = this.contributorFor(stage.value.aggregation, study);
        const out = await handleCompute(
          { domain: this.opts.domain, source: this.opts.source, store: this.store, ledger: this.opts.ledger, noiseRng: this.opts.noiseRng, log },
          study,
          req.roundId,
          stage.value,
        );
        this.audit('round.release', { studyId: req.studyId, roundId: req.roundId, label: stage.value.label, rho: stage.value.rho, cells: stage.value.vectorLength, aggregation: stage.value.aggregation });
        reply(await contribute(req.roundId, stage.value, out));
        return;
      }
      if (stage.$case === 'heEncrypt') {
        if (!this.he) throw new FedsynthError(ErrorCode.InvalidConfig, 'this agent has no signing identity for HE contributions (kit signing key)');
        reply(this.he.chunk(req.roundId, stage.value));
        return;
      }
      if (stage.$case === 'shareKeys' || stage.$case === 'maskedInput' || stage.$case === 'consistency' || stage.$case === 'unmask') {
        if (!this.masking) throw new FedsynthError(ErrorCode.InvalidConfig, 'this agent has no secure-aggregation identity (kit signing key)');
        reply(await this.masking.handle(req));
        return;
      }
      throw new FedsynthError(ErrorCode.ProtocolViolation, `unexpected stage ${stage.$case}`, { field: 'round_request.stage' });
    } catch (e) {
      const code = isFedsynthError(e) ? e.code : ErrorCode.Internal;
      const message = isFedsynthError(e) ? e.message : 'internal error';
      log.warn({ code }, `refusing round: ${message}`);
      this.audit('round.refused', { studyId: req.studyId, roundId: req.roundId, code });
      reply({ $case: 'refusal', value: { code, message } });
    }
  }

  /** How this agent sends a noisy vector in `mode`; throws when it cannot (unknown mode, no identity). */
  private contributorFor(mode: Aggregation, study: ApprovedStudy): (roundId: string, compute: ComputeStage, out: NoisyRelease) => Promise<ReplyStage> {
    if (mode === Aggregation.AGGREGATION_PLAIN) {
      return async (_roundId, _compute, out) => ({ $case: 'plain', value: { noisyVector: Buffer.from(out.noisy), elementBits: out.elementBits } });
    }
    if (mode === Aggregation.AGGREGATION_MASKING) {
      const masking = this.masking;
      if (!masking) throw new FedsynthError(ErrorCode.InvalidConfig, 'this agent has no secure-aggregation identity (kit signing key)');
      return (roundId, compute, out) => masking.begin(roundId, compute, out, study);
    }
    if (mode === Aggregation.AGGREGATION_HE) {
      const he = this.he;
      if (!he) throw new FedsynthError(ErrorCode.InvalidConfig, 'this agent has no signing identity for HE contributions (kit signing key)');
      return (roundId, compute, out) => he.contribute(roundId, compute, out);
    }
    throw new FedsynthError(ErrorCode.ProtocolViolation, `aggregation mode ${Aggregation[mode] ?? mode} is not supported by this agent`, { field: 'compute.aggregation' });
  }

  private evaluateLocally(studyId: string, dir: string): void {
    try {
      const s = this.store.study(studyId);
      if (!s) return;
      const { spec } = JSON.parse(s.specJson) as { spec: StudySpec };
      const input = { dir, partyId: this.partyId, studyId, domain: spec.domain, schemaJson: spec.schemaJson, target: spec.targetColumn };
      scheduleLocalEvaluation(this.opts.localRows ?? this.opts.source, input, this.opts.log, (e, d) => this.audit(e, d));
    } catch (e) {
      this.opts.log.warn({ studyId, err: (e as Error).message }, 'local evaluation not started (agent stopping?)');
    }
  }

  private onDelivery(chunk: { studyId: string; fileName: string; offset: number; data: Uint8Array; last: boolean; sha256: string }, send: (b: AgentBody) => void): void {
    const safe = /^[A-Za-z0-9._-]+$/.test(chunk.fileName) && /^[A-Za-z0-9._-]+$/.test(chunk.studyId);
    if (!safe) {
      this.opts.log.warn({ file: chunk.fileName }, 'refused a delivery with an unsafe name');
      return;
    }
    const key = `${chunk.studyId}/${chunk.fileName}`;
    const dir = join(this.opts.stateDir, 'outputs', chunk.studyId);
    let d = this.downloads.get(key);
    if (chunk.offset === 0) {
      if (d) d.out.destroy();
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.${chunk.fileName}.part`);
      d = { file: join(dir, chunk.fileName), tmp, out: createWriteStream(tmp), hash: createHash('sha256'), offset: 0 };
      this.downloads.set(key, d);
    }
    if (!d || chunk.offset !== d.offset) {
      this.opts.log.warn({ file: chunk.fileName, offset: chunk.offset }, 'out-of-order delivery chunk ignored');
      return;
    }
    d.out.write(chunk.data);
    d.hash.update(chunk.data);
    d.offset += chunk.data.length;
    if (chunk.last) {
      const dl = d;
      this.downloads.delete(key);
      const digest = dl.hash.digest('hex');
      dl.out.end(() => {
        let ok = digest === chunk.sha256;
        try {
          if (ok) renameSync(dl.tmp, dl.file);
        } catch (e) {
          // the state directory went away (agent shutting down): nothing was stored
          ok = false;
          this.opts.log.warn({ file: chunk.fileName, err: (e as Error).message }, 'could not store a delivered file');
        }
        this.opts.log.info({ studyId: chunk.studyId, file: chunk.fileName, ok }, 'received study output');
        this.audit('delivery.received', { studyId: chunk.studyId, file: chunk.fileName, sha256: digest, ok });
        // The manifest comes last: score the synthetic data against this party's own rows (local-only report).
        if (ok && chunk.fileName === 'manifest.json') this.evaluateLocally(chunk.studyId, dir);
        try {
          send({ $case: 'deliveryAck', value: { studyId: chunk.studyId, fileName: chunk.fileName, ok, sha256: digest } });
        } catch {
          // coordinator will re-deliver on reconnect
        }
      });
    }
  }
}

/** Reads a file delivered to this agent (for tests and `agent outputs`). */
export function readDelivered(stateDir: string, studyId: string, file: string): Buffer {
  return readFileSync(join(stateDir, 'outputs', studyId, file));
}
