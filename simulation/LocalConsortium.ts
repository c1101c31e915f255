// LocalConsortium: a whole consortium in one process for `fedsynth simulate` and tests — an
// ephemeral CA and kits, the real Coordinator on 127.0.0.1 with mTLS, and real PartyAgents,
// speaking the same gRPC messages as a deployment.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Domain } from '../shared/pgm/Domain.js';
import type { MarginalSource } from '../shared/data/MarginalSource.js';
import { cryptoRandomSource, seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { AgentMetrics } from '../party-agent/metrics/AgentMetrics.js';
import { Coordinator, type CoordinatorOptions } from '../coordinator/Coordinator.js';
import { PartyAgent } from '../party-agent/PartyAgent.js';
import { loadedRowsOf, type TabularRowSource } from '../party-agent/data/trainingRows.js';
import { BudgetLedger } from '../party-agent/ledger/BudgetLedger.js';
import type { AgentPolicy } from '../party-agent/policy/StudyPolicy.js';
import { policyBudget, policyDelta } from '../party-agent/policy/policyBudget.js';
import { initCa } from '../platform/pki/CertificateAuthority.js';
import { issueKit } from '../platform/pki/issueKit.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { loadTrust } from '../platform/pki/loadTrust.js';
import { signerVerifier } from '../platform/pki/peerIdentityFromCertificate.js';
import { X509Certificate as NodeX509 } from 'node:crypto';
import { OperatorServiceClient } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { KeyCustodian } from '../custodian/KeyCustodian.js';
import { CustodianConnection, custodianEndorser } from '../custodian/CustodianConnection.js';

export interface LocalConsortiumOptions {
  domain: Domain;
  sources: MarginalSource[];
  /** By party: the rows with continuous values its agent trains on (mechanism dpsgd); absent: codes of its source only. */
  trainingRows?: (TabularRowSource | undefined)[];
  log: Logger;
  seed?: string;
  policy: AgentPolicy;
  /** Lifetime and per-study rho caps of every simulated party's ledger (default: its policy's epsilon cap, policyBudget). */
  ledgerRho?: number;
  /** Lifetime epsilon cap of every party's ledger, read at the policy's delta (default: the per-study cap); ignored with ledgerRho. */
  lifetimeEpsilon?: number;
  workDir?: string;
  roundTimeoutMs?: number;
  /** Coordinator extras: the operator console, an audit hook. */
  coordinator?: Pick<CoordinatorOptions, 'console' | 'audit'>;
  /** Give every agent an AgentMetrics (in `agentMetrics`, by party index); no port is opened. */
  agentMetrics?: boolean;
}

export class LocalConsortium {
  coordinator!: Coordinator;
  agents: PartyAgent[] = [];
  /** Each agent's metrics when `agentMetrics` was set. */
  agentMetrics: AgentMetrics[] = [];
  /** The in-process key custodian (HE mode); it idles unless a study uses `he`. */
  custodian: { keys: KeyCustodian; connection: CustodianConnection } | undefined;
  operator!: OperatorServiceClient;
  readonly partyIds: string[];
  readonly dir: string;
  private readonly ownsDir: boolean;

  constructor(private readonly o: LocalConsortiumOptions) {
    this.partyIds = o.sources.map((_, i) => `party-${String(i + 1).padStart(2, '0')}`);
    this.ownsDir = !o.workDir;
    this.dir = o.workDir ?? mkdtempSync(join(tmpdir(), 'fedsynth-sim-'));
  }

  async start(): Promise<void> {
    const { log } = this.o;
    const ca = await initCa(join(this.dir, 'ca'), { consortium: 'simulation' });
    const placeholder = '127.0.0.1:7443';
    await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: placeholder, out: join(this.dir, 'kits', 'coordinator'), hosts: ['127.0.0.1', 'localhost'] });
    for (const id of this.partyIds) {
      await issueKit(ca, { role: 'party', id, coordinator: placeholder, out: join(this.dir, 'kits', id) });
    }
    await issueKit(ca, { role: 'custodian', id: 'custodian', coordinator: placeholder, out: join(this.dir, 'kits', 'custodian') });
    await issueKit(ca, { role: 'operator', id: 'operator', coordinator: placeholder, out: join(this.dir, 'kits', 'operator') });
    const ck = loadKit(join(this.dir, 'kits', 'coordinator'));
    const trust = await loadTrust(join(this.dir, 'ca'));
    this.coordinator = new Coordinator({
      listen: '127.0.0.1:0',
      tls: { caPem: ck.tls.ca, certPem: ck.tls.cert, keyPem: ck.tls.key },
      dataDir: join(this.dir, 'coordinator'),
      log: log.child({ component: 'coordinator' }),
      allowSeeds: true,
      roundTimeoutMs: this.o.roundTimeoutMs ?? 120_000,
      approvalTimeoutMs: 60_000,
      heartbeatIntervalMs: 1000,
      signer: { id: ck.identity.partyId, certificatePem: ck.certPem, signingKey: ck.signingKey },
      ...this.o.coordinator,
    });
    const port = await this.coordinator.start();
    const address = `127.0.0.1:${port}`;
    const cuk = loadKit(join(this.dir, 'kits', 'custodian'));
    const keys = new KeyCustodian({ stateDir: join(this.dir, 'custodian'), minContributors: 1, log: log.child({ component: 'custodian' }) });
    this.custodian = {
      keys,
      connection: new CustodianConnection({ address, tls: { caPem: cuk.tls.ca, certPem: cuk.tls.cert, keyPem: cuk.tls.key, serverName: 'localhost' }, log: log.child({ component: 'custodian' }), endorser: custodianEndorser(cuk) }, keys),
    };
    this.custodian.connection.start();
    this.partyIds.forEach((id, i) => {
      const kit = loadKit(join(this.dir, 'kits', id));
      const stateDir = join(this.dir, 'agents', id);
      mkdirSync(stateDir, { recursive: true });
      // RDP charges (dpsgd) are read at the policy's delta, with or without an explicit rho cap.
      const caps = this.o.ledgerRho !== undefined ? { perStudyRho: this.o.ledgerRho, lifetimeRho: this.o.ledgerRho, delta: policyDelta(this.o.policy) } : policyBudget({ ...this.o.policy, lifetimeEpsilon: this.o.lifetimeEpsilon });
      const ledger = new BudgetLedger(join(stateDir, 'ledger.sqlite'), { ...caps, defaultDataset: 'simulated' });
      const metrics = this.o.agentMetrics ? new AgentMetrics() : undefined;
      if (metrics) this.agentMetrics.push(metrics);
      // A source that reads its rows (CSV, Parquet, PostgreSQL) serves gradient rounds as in `agent start`;
      // a simulated party's raw rows (trainingRows) do for its in-memory source.
      const trainingRows = this.o.trainingRows?.[i] ?? loadedRowsOf(this.o.sources[i]);
      const agent = new PartyAgent({
        metrics,
        coordinatorAddress: address,
        tls: { caPem: kit.tls.ca, certPem: kit.tls.cert, keyPem: kit.tls.key, serverName: 'localhost' },
        domain: this.o.domain,
        source: this.o.sources[i],
        ...(trainingRows ? { trainingRows } : {}),
        policy: this.o.policy,
        stateDir,
        ledger: { charge: (r) => void ledger.charge(r) },
        noiseRng: this.o.seed !== undefined ? seededRandomSource(this.o.seed, `party/${i}/noise`) : cryptoRandomSource(),
        log: log.child({ component: 'agent', partyId: id }),
        secagg: {
          partyId: id,
          signingSecretKey: kit.sodiumSigningSecretKey,
          certificate: new Uint8Array(new NodeX509(kit.certPem).raw),
          verifyPeer: signerVerifier(trust),
        },
        secaggRng: this.o.seed !== undefined ? seededRandomSource(this.o.seed, `party/${i}/secagg`) : cryptoRandomSource(),
      });
      this.agents.push(agent);
      agent.start();
    });
    const ok = loadKit(join(this.dir, 'kits', 'operator'));
    this.operator = new OperatorServiceClient(address, grpc.credentials.createSsl(ok.tls.ca, ok.tls.key, ok.tls.cert), { 'grpc.ssl_target_name_override': 'localhost' });
    await this.waitOnline(this.partyIds.length, 30_000);
  }

  async waitOnline(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.coordinator.gateway.onlineParties().length < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.coordinator.gateway.onlineParties().length} of ${n} agents connected`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    this.operator?.close();
    for (const a of this.agents) await a.stop().catch(() => undefined);
    this.custodian?.connection.stop();
    await this.custodian?.keys.close().catch(() => undefined);
    await this.coordinator?.stop().catch(() => undefined);
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
