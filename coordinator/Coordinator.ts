// Coordinator: the consortium's gRPC server over mutual TLS — the agents' gateway, the operator
// API, durable study state, and one StudyRunner per active study; resumes studies on restart.
import { ErrorCode } from '../shared/errors/FedsynthError.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { logRejectedHandshakes } from './gateway/logRejectedHandshakes.js';
import type { Logger } from 'pino';
import { isTerminal } from '../shared/study/StudyLifecycle.js';
import { AgentGatewayService, OperatorServiceService } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { AggregationMode } from '../shared/study/StudySpec.js';
import { CoordinatorStore } from './store/CoordinatorStore.js';
import { AgentGateway } from './gateway/AgentGateway.js';
import { CustodianGateway } from './custodian/CustodianGateway.js';
import { CustodianGatewayService } from '../proto/generated/fedsynth/custodian/v1/custodian.js';
import { OPERATOR_ROLES, operatorApi } from './operator/OperatorApi.js';
import { CoordinatorMetrics } from './metrics/CoordinatorMetrics.js';
import { ConsoleServer } from './console/ConsoleServer.js';
import { typedDecodeErrors } from './grpcErrors.js';
import { StudyRunner } from './study/StudyRunner.js';
import type { RoundOutcome, RoundPlan } from './rounds/RoundPlan.js';
import type { OutputSigner } from './delivery/SignedManifest.js';
import { DEFAULT_ROUND_TIMEOUT_MS } from '../shared/study/roundTimeout.js';

export interface CoordinatorOptions {
  /** host:port to listen on; port 0 picks a free port (see `port` after start). */
  listen: string;
  tls: { caPem: Buffer; certPem: Buffer; keyPem: Buffer };
  dataDir: string;
  log: Logger;
  isRevoked?: (serial: string) => boolean;
  allowSeeds?: boolean;
  roundTimeoutMs?: number;
  approvalTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  audit?: (event: string, details: Record<string, unknown>) => void;
  roundModes?: Partial<Record<AggregationMode, (plan: RoundPlan) => Promise<RoundOutcome>>>;
  /** Signs each study's manifest.json (the coordinator's kit signing key). */
  signer?: OutputSigner;
  /** Serve the read-only operator console and /metrics over HTTPS (client certificates) here. */
  console?: { listen: string };
  /** The audit log file the console shows (default DATA_DIR/audit.log). */
  auditLogPath?: string;
}

export class Coordinator {
  readonly store: CoordinatorStore;
  readonly gateway: AgentGateway;
  readonly custodian: CustodianGateway;
  readonly runner: StudyRunner;
  readonly metrics: CoordinatorMetrics;
  /** The operator console, when `console` was given. */
  readonly console: ConsoleServer | undefined;
  private readonly server = new grpc.Server({
    'grpc.max_receive_message_length': 256 * 1024 * 1024,
    'grpc.max_send_message_length': 256 * 1024 * 1024,
  });
  private readonly running = new Map<string, Promise<void>>();
  private sweeper: NodeJS.Timeout | undefined;
  port = 0;

  constructor(private readonly o: CoordinatorOptions) {
    mkdirSync(o.dataDir, { recursive: true });
    this.store = new CoordinatorStore(join(o.dataDir, 'coordinator.sqlite'));
    const isRevoked = o.isRevoked ?? (() => false);
    const audit = o.audit ?? (() => undefined);
    this.gateway = new AgentGateway(o.log, isRevoked, o.heartbeatIntervalMs ?? 2000);
    this.custodian = new CustodianGateway(o.log.child({ component: 'custodian-gateway' }), isRevoked);
    this.metrics = new CoordinatorMetrics(this.store, this.gateway);
    this.runner = new StudyRunner({
      store: this.store,
      gateway: this.gateway,
      custodian: this.custodian,
      log: o.log,
      outputsDir: join(o.dataDir, 'studies'),
      roundTimeoutMs: o.roundTimeoutMs ?? DEFAULT_ROUND_TIMEOUT_MS,
      approvalTimeoutMs: o.approvalTimeoutMs ?? 600_000,
      audit,
      roundModes: o.roundModes,
      signer: o.signer,
      rounds: this.metrics,
    });
    this.console = o.console
      ? new ConsoleServer({
          listen: o.console.listen,
          tls: o.tls,
          store: this.store,
          gateway: this.gateway,
          metrics: this.metrics,
          auditLogPath: o.auditLogPath ?? join(o.dataDir, 'audit.log'),
          outputsDir: join(o.dataDir, 'studies'),
          isRevoked,
          roles: OPERATOR_ROLES,
          log: o.log.child({ component: 'console' }),
        })
      : undefined;
    this.gateway.on('online', (partyId) => {
      this.store.recordPartyOnline(partyId);
      for (const s of this.store.listStudies()) {
        if (s.state === 'draft') this.runner.announce(s.id, partyId);
        // A party that missed (part of) a delivery gets the outputs when it is back.
        if (s.state === 'done') this.runner.deliverTo(s.id, partyId);
      }
    });
    this.gateway.on('decision', (partyId, d) => {
      try {
        // An agent re-sends every decision it holds on each (re)connection: record, count, audit and log a decision once.
        if (!this.store.setDecision(d.studyId, partyId, d.approved, d.reason)) {
          o.log.debug({ studyId: d.studyId, partyId }, 'decision already recorded');
          return;
        }
        if (!d.approved) this.metrics.studyRefused();
        audit('study.party_decision', { studyId: d.studyId, partyId, approved: d.approved, reason: d.reason });
        o.log.info({ studyId: d.studyId, partyId, approved: d.approved }, d.approved ? 'party approved the study' : `party refused the study: ${d.reason}`);
      } catch (e) {
        this.gateway.refusedFrames.refuse('study_decision.study_id', ErrorCode.UnknownStudy, `decision for a study this coordinator cannot record: ${(e as Error).message}`, { partyId, studyId: d.studyId });
      }
    });
    this.gateway.on('deliveryAck', (partyId, ack) => {
      if (ack.ok) {
        try {
          this.store.recordDeliveryAck(ack.studyId, partyId, ack.fileName, ack.sha256);
        } catch (e) {
          this.gateway.refusedFrames.refuse('delivery_ack.study_id', ErrorCode.UnknownStudy, `delivery ack not recorded: ${(e as Error).message}`, { partyId, studyId: ack.studyId, file: ack.fileName });
        }
      }
      audit('delivery.ack', { studyId: ack.studyId, partyId, file: ack.fileName, ok: ack.ok });
    });
    // Tolerant decoders: a malformed frame gets PROTOCOL_VIOLATION, not grpc-js's bare INTERNAL.
    this.server.addService(...typedDecodeErrors(AgentGatewayService, this.gateway.service));
    this.server.addService(...typedDecodeErrors(CustodianGatewayService, this.custodian.service));
    this.server.addService(
      ...typedDecodeErrors(
        OperatorServiceService,
        operatorApi({
          store: this.store,
          gateway: this.gateway,
          log: o.log,
          outputsDir: join(o.dataDir, 'studies'),
          isRevoked,
          allowSeeds: o.allowSeeds ?? false,
          startStudy: (id) => this.startStudy(id),
          audit,
          roundTimeoutMs: o.roundTimeoutMs ?? DEFAULT_ROUND_TIMEOUT_MS,
        }),
      ),
    );
  }

  /** Binds, starts serving, and resumes every non-terminal study. */
  async start(): Promise<number> {
    const creds = grpc.ServerCredentials.createSsl(this.o.tls.caPem, [{ cert_chain: this.o.tls.certPem, private_key: this.o.tls.keyPem }], true);
    this.port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.o.listen, creds, (err, port) => (err ? reject(err) : resolve(port)));
    });
    logRejectedHandshakes(this.server, this.o.log);
    if (this.console) {
      const consolePort = await this.console.start();
      this.o.log.info({ consolePort }, `operator console on https://${this.o.console!.listen.replace(/:\d+$/, '')}:${consolePort}/`);
    }
    this.sweeper = setInterval(() => this.gateway.sweep(), 1000);
    this.sweeper.unref();
    for (const s of this.store.listStudies()) {
      if (!isTerminal(s.state)) {
        this.o.log.info({ studyId: s.id, state: s.state }, 'resuming study');
        this.startStudy(s.id);
      }
    }
    return this.port;
  }

  startStudy(studyId: string): void {
    if (this.running.has(studyId)) return;
    const p = this.runner.run(studyId).finally(() => this.running.delete(studyId));
    this.running.set(studyId, p);
  }

  /** Resolves when the study's runner finishes (immediately if none runs). */
  async waitForStudy(studyId: string): Promise<void> {
    await this.running.get(studyId);
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.gateway.closeAll();
    this.custodian.closeAll();
    await this.console?.stop();
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      this.server.tryShutdown(() => {
        clearTimeout(t);
        resolve();
      });
    });
    this.server.forceShutdown();
    this.store.close();
  }
}
