// startAgent: boots a party agent from its config file (fedsynth agent start): startup kit, trust,
// consortium schema, data source validated BEFORE anything is released, budget ledger, audit log.
import { X509Certificate as NodeX509 } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import { Domain } from '../shared/pgm/Domain.js';
import { cryptoRandomSource } from '../shared/dp/random/RandomSource.js';
import { schemaDomain } from '../shared/schema/columnLayout.js';
import { formatProblem } from '../shared/schema/ValidationReport.js';
import { PartyAgent } from './PartyAgent.js';
import { loadAgentConfig, type AgentConfig } from './config/AgentConfig.js';
import { openSource } from './data/openSource.js';
import { localRowsOf } from './evaluation/LocalEvaluation.js';
import { holdOutControl } from './evaluation/ControlHoldout.js';
import { controlSeed } from './evaluation/controlSeed.js';
import type { MarginalSource } from '../shared/data/MarginalSource.js';
import { CachingMarginalSource } from '../shared/data/CachingMarginalSource.js';
import { loadSchemaFile } from './data/loadSchemaFile.js';
import { loadOnce, type TabularRowSource } from './data/trainingRows.js';
import type { SourceConfig } from './data/SourceConfig.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { loadTrust } from '../platform/pki/loadTrust.js';
import { signerVerifier } from '../platform/pki/peerIdentityFromCertificate.js';
import { openAuditHook, type AuditHook } from '../platform/audit/auditHook.js';
import { chargeAndAudit, openAgentLedger } from './ledger/agentLedger.js';
import { AgentMetrics } from './metrics/AgentMetrics.js';
import { MetricsEndpoint } from '../platform/metrics/MetricsEndpoint.js';
import { bindOnce } from '../platform/logging/bindOnce.js';
import { crashHookFromEnv } from '../platform/testing/crashHook.js';
import { delayHookFromEnv } from '../platform/testing/delayHook.js';

export interface StartedAgent {
  agent: PartyAgent;
  config: AgentConfig;
  audit: AuditHook;
  /** The port of the metrics endpoint, when `metrics.listen` is configured. */
  metricsPort?: number;
  /** Settles when the coordinator refused this agent's identity for good (the agent has stopped dialling). */
  fatal: Promise<FedsynthError>;
  stop(): Promise<void>;
}

export async function startAgent(configFile: string, log: Logger, overrides: { coordinator?: string } = {}): Promise<StartedAgent> {
  const config = await loadAgentConfig(configFile);
  const kit = loadKit(config.kit);
  if (kit.identity.partyId !== config.party.id) {
    throw new FedsynthError(ErrorCode.InvalidConfig, `${configFile}: party.id '${config.party.id}' does not match the kit's certificate (${kit.identity.partyId})`, { field: 'party.id' });
  }
  if (kit.identity.role !== 'party') throw new FedsynthError(ErrorCode.InvalidConfig, `${config.kit}: not a party kit (role ${kit.identity.role})`);
  const trust = await loadTrust(config.kit);
  const schema = await loadSchemaFile(config.dataset.schema);
  const domain = Domain.fromJson(schemaDomain(schema));
  // partyId once per line, though the connection and the rounds bind or log it again.
  const alog = bindOnce(log, 'partyId', config.party.id);
  const audit = openAuditHook(join(config.state.dir, 'audit.log'), config.party.id, { signingKey: kit.signingKey, publicKeyRaw: kit.signingPublicKeyRaw });
  // DuckDB's memory is capped (DUCKDB_MEMORY_LIMIT_MB) and spills into the state directory.
  const source = await openSource(config.dataset.source as SourceConfig, schema, { onInvalid: config.dataset.onInvalid, tempDirectory: join(config.state.dir, 'duckdb-tmp') });
  // Validate locally before any round: problems go to this party's operator only.
  const report = await source.validate();
  for (const p of report.problems) alog.warn({ problem: p.reason }, `data problem: ${formatProblem(p)}`);
  alog.info({ recordsRead: report.recordsRead, rowsUsed: report.rowsUsed, rowsDropped: report.rowsDropped, cellsMappedToMissing: report.cellsMappedToMissing, policy: report.policy }, 'local data validated against the consortium schema');
  audit('data.validated', { dataset: config.dataset.id, ok: report.ok, rowsDropped: report.rowsDropped, policy: report.policy });
  if (!report.ok) {
    await source.close();
    audit.close();
    const first = report.problems[0];
    throw new FedsynthError(
      ErrorCode.InvalidData,
      `data of dataset '${config.dataset.id}' does not fit the schema (policy ${report.policy}); nothing was released. ` + (first ? `First problem: ${formatProblem(first)}` : ''),
      { dataset: config.dataset.id },
    );
  }
  // The control sample is split off BEFORE any round can run, so no control row is ever counted or
  // trained on. Gradient rounds (mechanism dpsgd) train on exactly the rows that are counted: the
  // training part of the split, or every validated row, streamed once on the first such round.
  let counted: MarginalSource = source;
  let localRows = localRowsOf(source);
  let trainingRows: TabularRowSource = loadOnce(() => source.tabularRows());
  let removeRows = (): void => undefined;
  if (config.dataset.controlRows > 0) {
    // Both parts go to row files in the state directory (streamed: the agent never holds its table).
    const held = await holdOutControl(source, await source.rowCount(), domain, config.dataset.controlRows, controlSeed(config.state.dir), join(config.state.dir, 'rows'));
    removeRows = () => held.remove();
    counted = held.source;
    localRows = held.localRows;
    trainingRows = held.trainingRows;
    alog.info({ controlRows: held.controlRows, trainRows: held.trainRows }, 'control sample held back: never counted for a study, used only by the local risk evaluation');
    audit('data.control_held_back', { dataset: config.dataset.id, controlRows: held.controlRows, trainRows: held.trainRows });
  }
  const ledger = openAgentLedger(config);
  // Metrics open a port only when configured (the agent otherwise only dials out).
  const metrics = config.metrics ? new AgentMetrics() : undefined;
  const endpoint = config.metrics && metrics ? new MetricsEndpoint(config.metrics.listen, metrics.registry) : undefined;
  const metricsPort = await endpoint?.start();
  if (endpoint) alog.info({ metricsPort }, `metrics on http://${config.metrics!.listen.replace(/:\d+$/, '')}:${metricsPort}/metrics`);
  let onFatal: (e: FedsynthError) => void = () => undefined;
  const fatal = new Promise<FedsynthError>((resolve) => (onFatal = resolve));
  const agent = new PartyAgent({
    onFatal: (e) => onFatal(e),
    crashAt: crashHookFromEnv(process.env),
    delayAt: delayHookFromEnv(process.env),
    metrics,
    coordinatorAddress: overrides.coordinator ?? config.coordinator.address,
    tls: { caPem: kit.tls.ca, certPem: kit.tls.cert, keyPem: kit.tls.key },
    domain,
    // Adaptive mechanisms re-score the same candidates every round: keep exact counts in memory.
    source: new CachingMarginalSource(counted),
    localRows,
    trainingRows,
    policy: {
      allowedColumns: config.policy.allowedColumns,
      maxEpsilonPerStudy: config.policy.maxEpsilonPerStudy,
      maxDeltaPerStudy: config.policy.maxDeltaPerStudy,
      allowedMechanisms: config.policy.allowedMechanisms,
      minParties: config.policy.minParties,
      autoApprove: config.policy.autoApprove,
      allowPlainAggregation: config.policy.allowPlainAggregation,
      minNeighbours: config.policy.minNeighbours,
      extraRoundModes: config.policy.extraRoundModes,
      maxSilosPerIndividual: config.policy.maxSilosPerIndividual,
      minColluders: config.policy.minColluders,
      minDropouts: config.policy.minDropouts,
    },
    stateDir: config.state.dir,
    configFile,
    ledger: {
      charge: (r) => {
        chargeAndAudit(ledger, audit, r);
      },
    },
    noiseRng: cryptoRandomSource(),
    secaggRng: cryptoRandomSource(),
    log: alog,
    audit,
    secagg: {
      partyId: config.party.id,
      signingSecretKey: kit.sodiumSigningSecretKey,
      certificate: new Uint8Array(new NodeX509(kit.certPem).raw),
      verifyPeer: signerVerifier(trust),
    },
  });
  agent.start();
  audit('agent.started', { dataset: config.dataset.id, coordinator: overrides.coordinator ?? config.coordinator.address });
  return {
    agent,
    config,
    audit,
    metricsPort,
    fatal,
    stop: async () => {
      await agent.stop();
      await endpoint?.stop();
      ledger.close();
      await source.close();
      removeRows();
      audit.close();
    },
  };
}
