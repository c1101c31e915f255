// CoordinatorDouble: real PartyAgents (LocalConsortium: mTLS gRPC on 127.0.0.1:0) driven by hand
// through the coordinator's gateway, so a test can send them any round and watch ledger, store and audit.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformInt } from '../../shared/dp/random/uniform.js';
import { rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { computeQueryFields } from '../../platform/wire/localQueryWire.js';
import { planDistributedGaussian } from '../../shared/dp/distributed/planDistributedGaussian.js';
import { localQueryLength, localQuerySensitivity, type LocalQuery } from '../../shared/synth/LocalQuery.js';
import { domainHash } from '../../shared/study/domainHash.js';
import { silentLogger } from '../../platform/logging/logging.js';
import { LocalConsortium } from '../../simulation/LocalConsortium.js';
import { PartyAgent } from '../../party-agent/PartyAgent.js';
import { BudgetLedger, type LedgerCharge } from '../../party-agent/ledger/BudgetLedger.js';
import type { AgentPolicy } from '../../party-agent/policy/StudyPolicy.js';
import { Aggregation, Mechanism, StudySpec, type ComputeStage, type RoundReply, type RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';

/** One `audit(event, details)` call of a PartyAgent (captured on the prototype, all agents). */
interface AuditCall {
  agent: PartyAgent;
  event: string;
  details: Record<string, unknown>;
}

const auditCalls: AuditCall[] = [];
let auditSpyInstalled = false;

function captureAudits(): void {
  if (auditSpyInstalled) return;
  auditSpyInstalled = true;
  const proto = PartyAgent.prototype as unknown as { audit: (event: string, details: Record<string, unknown>) => void };
  const real = proto.audit;
  vi.spyOn(proto, 'audit').mockImplementation(function (this: PartyAgent, event: string, details: Record<string, unknown>) {
    auditCalls.push({ agent: this, event, details });
    real.call(this, event, details);
  });
}

export interface CoordinatorDoubleOptions {
  parties: number;
  /** Rows per party (codes drawn from a seeded PRG over `domain`). */
  rows: number;
  domain: Domain;
  policy?: Partial<AgentPolicy>;
  ledgerRho?: number;
  /** A fixed seed makes the agents' noise reproducible; omit it for CSPRNG noise (statistical tests). */
  seed?: string;
}

export const PERMISSIVE_POLICY: AgentPolicy = {
  allowedColumns: '*',
  maxEpsilonPerStudy: 10,
  maxDeltaPerStudy: 1e-6,
  allowedMechanisms: ['mst', 'aim'],
  minParties: 1,
  autoApprove: true,
  allowPlainAggregation: true,
};

export class CoordinatorDouble {
  consortium!: LocalConsortium;
  readonly tables: EncodedTable[];
  private readonly root = mkdtempSync(join(tmpdir(), 'fedsynth-double-'));
  private readonly ledgers = new Map<string, BudgetLedger>();

  constructor(private readonly o: CoordinatorDoubleOptions) {
    this.tables = Array.from({ length: o.parties }, (_, i) => {
      const rng = seededRandomSource('coordinator-double', `silo/${i}`);
      const lines = [o.domain.attrs.join(',')];
      for (let r = 0; r < o.rows; r++) lines.push(o.domain.shape.map((s) => uniformInt(rng, s)).join(','));
      return EncodedTable.fromCsv(lines.join('\n') + '\n', o.domain);
    });
  }

  async start(): Promise<void> {
    captureAudits();
    this.consortium = new LocalConsortium({
      domain: this.o.domain,
      sources: this.tables.map((t) => new InMemoryMarginalSource(t)),
      log: silentLogger(),
      seed: this.o.seed,
      policy: { ...PERMISSIVE_POLICY, ...this.o.policy },
      ledgerRho: this.o.ledgerRho ?? 100,
      workDir: join(this.root, 'consortium'),
    });
    await this.consortium.start();
  }

  async stop(): Promise<void> {
    for (const l of this.ledgers.values()) l.close();
    await this.consortium?.stop();
    rmSync(this.root, { recursive: true, force: true });
  }

  get partyIds(): string[] {
    return this.consortium.partyIds;
  }

  agent(partyId: string): PartyAgent {
    return this.consortium.agents[this.partyIds.indexOf(partyId)];
  }

  /** A study spec over the whole domain; epsilon/delta and rho consistent unless overridden. */
  spec(studyId: string, over: Partial<StudySpec> = {}): StudySpec {
    const epsilon = over.epsilon ?? 4;
    const delta = over.delta ?? 1e-9;
    return StudySpec.fromPartial({
      studyId,
      title: 'coordinator double',
      mechanism: Mechanism.MECHANISM_MST,
      epsilon,
      delta,
      rho: rhoFromEpsilon(epsilon, delta),
      columns: [...this.o.domain.attrs],
      domain: this.o.domain.attrs.map((name, i) => ({ name, size: this.o.domain.shape[i] })),
      aggregation: Aggregation.AGGREGATION_PLAIN,
      minParties: 1,
      syntheticRows: 10,
      domainHash: domainHash(this.o.domain),
      maxSilosPerIndividual: 1,
      ...over,
    });
  }

  /** Announces `spec` to `parties` (default all) straight over their streams. */
  announce(spec: StudySpec, parties: readonly string[] = this.partyIds, invited: readonly string[] = parties): void {
    for (const p of parties) this.consortium.coordinator.gateway.session(p)!.send({ $case: 'studyAnnouncement', value: { spec, parties: [...invited] } });
  }

  /** Announces and waits until every party has decided (throws unless all approved, when `mustApprove`). */
  async announceAndWait(spec: StudySpec, parties: readonly string[] = this.partyIds, mustApprove = true): Promise<void> {
    this.announce(spec, parties);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const decisions = parties.map((p) => this.agent(p).store.study(spec.studyId)?.decision);
      if (decisions.every((d) => d !== undefined && d !== 'pending')) {
        if (mustApprove && !decisions.every((d) => d === 'approved')) throw new Error(`study ${spec.studyId} not approved: ${decisions.join(',')}`);
        return;
      }
      if (Date.now() > deadline) throw new Error(`no decision on ${spec.studyId}: ${decisions.join(',')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends one round stage to `partyId` and returns its reply (refusals included). */
  request(partyId: string, req: RoundRequest, timeoutMs = 60_000): Promise<RoundReply> {
    const s = this.consortium.coordinator.gateway.session(partyId);
    if (!s) throw new Error(`${partyId} is offline`);
    return s.request(req, timeoutMs);
  }

  /** The charges on `partyId`'s own ledger (read through a second connection to its SQLite file). */
  charges(partyId: string): LedgerCharge[] {
    let l = this.ledgers.get(partyId);
    if (!l) {
      l = new BudgetLedger(join(this.consortium.dir, 'agents', partyId, 'ledger.sqlite'), { perStudyRho: 1e9, lifetimeRho: 1e9, defaultDataset: 'simulated' });
      this.ledgers.set(partyId, l);
    }
    return l.list();
  }

  /** Audit events `partyId`'s agent recorded, in order. */
  audits(partyId: string, event?: string): Record<string, unknown>[] {
    const agent = this.agent(partyId);
    return auditCalls.filter((c) => c.agent === agent && (event === undefined || c.event === event)).map((c) => c.details);
  }
}

/**
 * An honest compute stage: `query` over `domain` at `rho`, each party's sigma^2 planned for
 * `terms` (k scales the sensitivity), threshold = all participants; `over` replaces any field.
 */
export function honestCompute(
  o: { query: LocalQuery; domain: Domain; rho: number; chargeKey: string; aggregation: Aggregation; participants: readonly string[]; terms: { k: number; colluders: number; dropouts: number } },
  over: Partial<ComputeStage> = {},
): ComputeStage {
  const plan = planDistributedGaussian({ rho: o.rho, l2Sensitivity: localQuerySensitivity(o.query) * o.terms.k, parties: o.participants.length, colluders: o.terms.colluders, dropouts: o.terms.dropouts });
  return {
    ...computeQueryFields(o.query, o.domain),
    rho: o.rho,
    perPartySigma2: plan.perPartySigma2,
    chargeKey: o.chargeKey,
    label: o.chargeKey.slice(o.chargeKey.lastIndexOf('/') + 1),
    vectorLength: localQueryLength(o.query, o.domain),
    aggregation: o.aggregation,
    participants: [...o.participants],
    threshold: o.participants.length,
    modulusBits: 32,
    hePublicKey: Buffer.alloc(0),
    heKeyEndorsement: undefined,
    neighbours: 0,
    maxChunkBytes: 0,
    ...over,
  };
}
