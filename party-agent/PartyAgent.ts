// PartyAgent: the process next to a silo, composed of its connection to the coordinator, its study
// decisions, its round dispatcher and its output downloads (one file each); this file wires them.
import { ErrorCode, type FedsynthError } from '../shared/errors/FedsynthError.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Domain } from '../shared/pgm/Domain.js';
import type { MarginalSource } from '../shared/data/MarginalSource.js';
import type { RandomSource } from '../shared/dp/random/RandomSource.js';
import { VERSION } from '../shared/version.js';
import type { CoordinatorMessage, AgentMessage } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { AgentConnection, type AgentTls } from './transport/AgentConnection.js';
import { announcementFromWire } from './transport/announcementFromWire.js';
import { decisionToWire } from './transport/decisionToWire.js';
import { AgentStore } from './state/AgentStore.js';
import type { AgentPolicy } from './policy/StudyPolicy.js';
import type { BudgetCharger } from './rounds/ComputeContext.js';
import { domainHash } from '../shared/study/domainHash.js';
import { MaskingParticipant, type SecAggIdentity } from './rounds/MaskingParticipant.js';
import { HeParticipant } from './rounds/HeParticipant.js';
import type { CrashHook } from '../platform/testing/crashHook.js';
import type { DelayHook } from '../platform/testing/delayHook.js';
import { FrameRefusals } from '../platform/grpc/FrameRefusals.js';
import { RoundDispatcher } from './rounds/RoundDispatcher.js';
import { StudyDecisions } from './decisions/StudyDecisions.js';
import type { DecisionMessage } from './decisions/DecisionMessage.js';
import { OutputDownloads } from './delivery/OutputDownloads.js';
import type { AgentMetrics } from './metrics/AgentMetrics.js';
import { localRowsOf, scheduleLocalEvaluation, type LocalRowSource } from './evaluation/LocalEvaluation.js';
import { LocalEvaluationThreads } from './evaluation/LocalEvaluationThreads.js';
import { LocalQueryThread } from './rounds/LocalQueryThread.js';
import { pooledRiskContribution } from './evaluation/PooledRiskContribution.js';
import type { TabularRowSource } from './data/trainingRows.js';

type AgentBody = NonNullable<AgentMessage['body']>;

export interface PartyAgentOptions {
  coordinatorAddress: string;
  tls: AgentTls;
  domain: Domain;
  source: MarginalSource;
  policy: AgentPolicy;
  stateDir: string;
  /** The agent's config file, named in operator hints (`--config FILE`). */
  configFile?: string;
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
  /** The rows gradient rounds (mechanism dpsgd) train on; default: `source`'s when in memory. */
  trainingRows?: TabularRowSource;
  /** Prometheus metrics (rounds, refusals); served by the caller only when configured. */
  metrics?: AgentMetrics;
  /** The coordinator refused this agent's identity for good (the connection has stopped): exit. */
  onFatal?: (err: FedsynthError) => void;
  /** Test-only fault injection (platform/testing/crashHook): SIGKILL at a named secure-aggregation stage. */
  crashAt?: CrashHook;
  /** Test-only (platform/testing/delayHook): a wait at a named stage of a round (a party made slow). */
  delayAt?: DelayHook;
}

export class PartyAgent {
  readonly store: AgentStore;
  /** Well-formed coordinator frames this agent refused (no body, a second welcome): logged naming the field, counted. */
  readonly refusedFrames: FrameRefusals;
  private readonly conn: AgentConnection;
  private partyId = '';
  private pendingPoll: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly he: HeParticipant | undefined;
  private readonly decisions: StudyDecisions;
  private readonly rounds: RoundDispatcher;
  private readonly downloads: OutputDownloads;
  /** Studies whose delivered outputs this agent has evaluated (or is evaluating) locally. */
  private readonly evaluations = new Set<string>();
  /** The worker threads of those evaluations (off the event loop; terminated by stop()). */
  private readonly evaluationThreads = new LocalEvaluationThreads();
  /** The worker thread that counts and scores round queries (the event loop keeps heartbeats flowing). */
  private readonly queryThread = new LocalQueryThread();
  /** Set by stop(): coordinator messages still in flight are dropped, never handled against a closed store. */
  private stopping = false;

  constructor(private readonly opts: PartyAgentOptions) {
    mkdirSync(opts.stateDir, { recursive: true });
    this.store = new AgentStore(join(opts.stateDir, 'agent.sqlite'));
    const masking = opts.secagg && opts.secaggRng ? new MaskingParticipant(opts.secagg, opts.secaggRng, { minNeighbours: opts.policy.minNeighbours ?? 0 }, this.store, opts.crashAt) : undefined;
    this.he = opts.secagg ? new HeParticipant(opts.secagg) : undefined;
    const audit = (event: string, details: Record<string, unknown>): void => {
      this.audit(event, details);
      if (event === 'study.decision' && details.decision === 'refuse') opts.metrics?.studyRefused(Array.isArray(details.codes) ? String(details.codes[0] ?? 'POLICY_REFUSED') : 'POLICY_REFUSED');
      if (event === 'study.respec_refused') opts.metrics?.studyRefused(String(details.code));
    };
    this.refusedFrames = new FrameRefusals(opts.log, 'coordinator');
    this.conn = new AgentConnection(
      { address: opts.coordinatorAddress, tls: opts.tls, log: opts.log, refusedFrames: this.refusedFrames, ...(opts.metrics ? { onSent: (n: number) => opts.metrics?.messageSent(n) } : {}) },
      {
        hello: () => ({ knownStudyIds: this.store.studies().map((s) => s.studyId), domainHash: domainHash(opts.domain), softwareVersion: VERSION }),
        onConnected: (id) => {
          this.partyId = id;
          this.decisions.onConnected();
        },
        onMessage: (msg, send) => this.onMessage(msg, send),
        ...(opts.onFatal ? { onFatal: opts.onFatal } : {}),
      },
    );
    // Decisions are domain values; they become agent messages here, at the transport edge.
    const conn = this.conn;
    const channel = {
      get connected(): boolean {
        return conn.connected;
      },
      send: (m: DecisionMessage): void => conn.send(decisionToWire(m)),
    };
    this.decisions = new StudyDecisions({ store: this.store, channel, domain: opts.domain, policy: opts.policy, stateDir: opts.stateDir, ...(opts.configFile ? { configFile: opts.configFile } : {}), log: opts.log, audit });
    this.rounds = new RoundDispatcher({
      domain: opts.domain,
      source: opts.source,
      ...(opts.trainingRows ? { trainingRows: opts.trainingRows } : {}),
      store: this.store,
      ledger: opts.ledger,
      noiseRng: opts.noiseRng,
      log: opts.log,
      masking,
      he: this.he,
      approvedStudy: (studyId) => this.decisions.approvedStudy(studyId),
      partyId: () => this.partyId,
      audit,
      metrics: opts.metrics,
      pooledRisk: pooledRiskContribution(opts.stateDir, opts.domain, localRowsOf(opts.localRows ?? opts.source), this.evaluationThreads),
      queries: this.queryThread,
      ...(opts.delayAt ? { delayAt: opts.delayAt } : {}),
    });
    this.downloads = new OutputDownloads({ stateDir: opts.stateDir, log: opts.log, audit, onManifest: (studyId, dir) => this.evaluateLocally(studyId, dir), refusedFrames: this.refusedFrames, approved: (id) => this.store.study(id)?.decision === 'approved' });
  }

  start(): void {
    this.conn.start();
    // Operator approvals (`fedsynth agent approve`) land in the state file; pick them up.
    this.pendingPoll = setInterval(() => this.decisions.flush(), 1000);
    this.pendingPoll.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pendingPoll) clearInterval(this.pendingPoll);
    this.conn.stop();
    await this.evaluationThreads.stop();
    await this.queryThread.stop();
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

  private onMessage(msg: CoordinatorMessage, send: (b: AgentBody) => void): void {
    if (this.stopping) return;
    const body = msg.body;
    if (!body) {
      const e = this.refusedFrames.refuse('body', ErrorCode.ProtocolViolation, 'coordinator message without a body (or of an unknown kind)');
      send({ $case: 'error', value: { code: e.code, message: e.message, studyId: '', roundId: '', field: 'body' } });
      return;
    }
    switch (body.$case) {
      case 'studyAnnouncement': {
        let announced;
        try {
          announced = announcementFromWire(body.value);
        } catch (e) {
          this.decisions.onUnreadableAnnouncement(body.value.spec?.studyId ?? '', e);
          return;
        }
        if (!announced) {
          const e = this.refusedFrames.refuse('study_announcement.spec', ErrorCode.ProtocolViolation, 'study announcement without a spec');
          send({ $case: 'error', value: { code: e.code, message: e.message, studyId: '', roundId: '', field: 'study_announcement.spec' } });
          return;
        }
        this.decisions.onAnnouncement(announced.spec, announced.parties);
        return;
      }
      case 'roundRequest': {
        const req = body.value;
        // Noted on arrival: a retry of a round supersedes the older attempt's requests queued before it.
        this.rounds.arrived(req);
        // Rounds are handled one at a time, in order.
        this.queue = this.queue.then(() => this.rounds.onRound(req, send)).catch((e) => this.opts.log.error({ err: String(e) }, 'round handler failed'));
        return;
      }
      case 'delivery':
        this.downloads.onDelivery(body.value, send);
        return;
      case 'error':
        this.opts.log.warn({ code: body.value.code, studyId: body.value.studyId }, `coordinator reported: ${body.value.message}`);
        return;
      default:
        // welcome and heartbeat are handled by the connection; nothing else reaches here.
        this.refusedFrames.refuse('body', ErrorCode.ProtocolViolation, `unexpected ${body.$case}`);
        return;
    }
  }

  /** Scores the delivered synthetic data against this party's own rows (local-only report). */
  private evaluateLocally(studyId: string, dir: string): void {
    try {
      const spec = this.decisions.storedSpec(studyId);
      if (!spec) return;
      const input = { dir, partyId: this.partyId, studyId, domain: spec.domain, schemaJson: spec.schemaJson, target: spec.targetColumn };
      scheduleLocalEvaluation(this.opts.localRows ?? this.opts.source, input, this.opts.log, (e, d) => this.audit(e, d), this.evaluations, this.evaluationThreads);
    } catch (e) {
      this.opts.log.warn({ studyId, err: (e as Error).message }, 'local evaluation not started (agent stopping?)');
    }
  }
}
