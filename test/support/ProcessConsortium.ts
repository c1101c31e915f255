// ProcessConsortium: a test fixture running a consortium of SEPARATE processes on 127.0.0.1 — a CA
// and kits, small raw-data silos, `fedsynth coordinator start` and `fedsynth agent start` children.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Domain } from '../../shared/pgm/Domain.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { schemaDomain } from '../../shared/schema/columnLayout.js';
import { domainHash } from '../../shared/study/domainHash.js';
import { Aggregation, StudySpec, type StudyStatus } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { mechanismToWire } from '../../platform/wire/studySpecWire.js';
import { completeDpsgdTraining } from '../../shared/study/dpsgdTraining.js';
import type { DpsgdTraining, MechanismName } from '../../shared/study/StudySpec.js';
import { initCa, type OpenedCa } from '../../platform/pki/CertificateAuthority.js';
import { issueKit } from '../../platform/pki/issueKit.js';
import { OperatorClient } from '../../coordinator/operator/OperatorClient.js';
import { FEDSYNTH_BIN, REPO_ROOT } from './runCli.js';
import { RAW_SCHEMA, writeSilos } from './writeSilos.js';


/** One child process of the consortium and what it wrote. */
export class ChildHandle {
  readonly exited: Promise<number | null>;
  exitCode: number | null = null;
  exitedAlready = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly stderrFile: string,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitedAlready = true;
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return !this.exitedAlready;
  }

  stderr(): string {
    return existsSync(this.stderrFile) ? readFileSync(this.stderrFile, 'utf8') : '';
  }

  /** The JSON log lines (pino) the process wrote with --log. */
  logLines(): Record<string, unknown>[] {
    if (!existsSync(this.logFile)) return [];
    return readFileSync(this.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  /** SIGKILL (kill -9): no shutdown code runs. */
  async kill9(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

/** Another table than the bundled Adult sample: its schema file and a writer of the parties' silos. */
export interface ConsortiumTable {
  readonly schemaFile: string;
  readonly target: string;
  /** Writes one CSV silo (header + rows under the schema) per file, in party order. */
  writeSilos(files: readonly string[]): void;
  /** Data rows of a party's silo (after writeSilos). */
  siloRows(party: string): number;
  /** Share of each silo held back as its control sample (dataset.controlRows); 0 or absent: none. */
  readonly controlShare?: number;
}

export interface AgentConfigFile {
  party: { id: string };
  coordinator: { address: string };
  kit: string;
  dataset: { id: string; source: unknown; schema: string; onInvalid: string; controlRows?: number };
  policy: Record<string, unknown>;
  state: { dir: string };
}

export interface StudyOptions {
  aggregation?: 'masking' | 'plain' | 'he';
  mechanism?: MechanismName;
  /** Mechanism dpsgd: the training terms (completeDpsgdTraining fills the rest). */
  training?: Partial<DpsgdTraining>;
  epsilon?: number;
  delta?: number;
  rows?: number;
  parties?: readonly string[];
  id?: string;
  minParties?: number;
  /** StudySpec.evaluationRho: the post-delivery pooled risk reservation (default none). */
  evaluationRho?: number;
  /** How long to wait for every party to have come online (default 90 s; large silos validate longer). */
  onlineTimeoutMs?: number;
  /** CreateStudyRequest.round_timeout_ms: this study's round timeout (default 0: the coordinator's). */
  roundTimeoutMs?: number;
}

const live = new Set<ChildHandle>();
process.once('exit', () => {
  for (const h of live) if (h.running) h.child.kill('SIGKILL');
});

export class ProcessConsortium {
  readonly dir: string;
  readonly parties: readonly string[];
  ca!: OpenedCa;
  coordinator: ChildHandle | undefined;
  port = 0;
  readonly agents = new Map<string, ChildHandle>();
  private client: OperatorClient | undefined;
  readonly domain: Domain;
  private readonly schemaRaw: unknown;

  constructor(o: { name: string; parties?: readonly string[]; rows?: number; table?: ConsortiumTable }) {
    this.dir = mkdtempSync(join(tmpdir(), `fedsynth-${o.name}-`));
    this.parties = o.parties ?? ['hospital-a', 'hospital-b', 'hospital-c'];
    this.table = o.table;
    this.schemaFile = o.table?.schemaFile ?? RAW_SCHEMA;
    this.schemaRaw = JSON.parse(readFileSync(this.schemaFile, 'utf8')) as unknown;
    this.domain = Domain.fromJson(schemaDomain(parseSchema(this.schemaRaw)));
    this.rows = o.rows ?? 3000;
  }

  private readonly rows: number;
  private readonly table: ConsortiumTable | undefined;
  private readonly schemaFile: string;

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  kitDir(id: string): string {
    return join(this.dir, 'kits', id);
  }

  stateDir(party: string): string {
    return join(this.dir, 'agents', party);
  }

  siloFile(party: string): string {
    return join(this.dir, 'silos', `${party}.csv`);
  }

  get coordinatorDataDir(): string {
    return join(this.dir, 'coordinator');
  }

  /** The CA, the coordinator's and every party's kit, and the silos (consecutive slices of the first `rows` rows). */
  async setup(): Promise<void> {
    this.ca = await initCa(join(this.dir, 'ca'), { consortium: 'it' });
    await issueKit(this.ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:7443', out: this.kitDir('coordinator'), hosts: ['127.0.0.1', 'localhost'] });
    for (const p of this.parties) await issueKit(this.ca, { role: 'party', id: p, coordinator: '127.0.0.1:7443', out: this.kitDir(p) });
    await issueKit(this.ca, { role: 'operator', id: 'operator', coordinator: '127.0.0.1:7443', out: this.kitDir('operator') });
    mkdirSync(join(this.dir, 'logs'), { recursive: true });
    const files = this.parties.map((p) => this.siloFile(p));
    if (this.table) this.table.writeSilos(files);
    else writeSilos(files, this.rows);
  }

  /** The data lines (without header) of a party's silo. */
  siloLines(party: string): string[] {
    return readFileSync(this.siloFile(party), 'utf8').split('\n').slice(1).filter((l) => l !== '');
  }

  private spawnCli(name: string, args: readonly string[], logFile: string, env?: Readonly<Record<string, string>>): ChildHandle {
    const stderrFile = join(this.dir, 'logs', `${name}.stderr`);
    const fd = openSync(stderrFile, 'a');
    const child = spawn(process.execPath, [FEDSYNTH_BIN, ...args], { stdio: ['ignore', 'ignore', fd], cwd: REPO_ROOT, env: { ...process.env, ...env } });
    closeSync(fd);
    const h = new ChildHandle(name, child, stderrFile, logFile);
    live.add(h);
    void h.exited.then(() => live.delete(h));
    return h;
  }

  /** Starts `fedsynth coordinator start` (port 0 unless given) and waits for its port file. */
  async startCoordinator(o: { port?: number; kit?: string; extraArgs?: readonly string[] } = {}): Promise<ChildHandle> {
    const portFile = join(this.dir, 'coordinator.port');
    rmSync(portFile, { force: true });
    const h = this.spawnCli(
      'coordinator',
      [
        'coordinator', 'start',
        '--kit', o.kit ?? this.kitDir('coordinator'),
        '--listen', `127.0.0.1:${o.port ?? 0}`,
        '--data-dir', this.coordinatorDataDir,
        '--port-file', portFile,
        '--log', join(this.dir, 'logs', 'coordinator.log'),
        '--approval-timeout', '60000',
        '--round-timeout', '60000',
        ...(o.extraArgs ?? []),
      ],
      join(this.dir, 'logs', 'coordinator.log'),
    );
    this.coordinator = h;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!h.running) throw new Error(`coordinator exited (${h.exitCode}): ${h.stderr().trim()}`);
      if (existsSync(portFile)) {
        const port = Number(readFileSync(portFile, 'utf8').trim());
        if (port > 0) {
          this.port = port;
          return h;
        }
      }
      if (Date.now() > deadline) throw new Error('coordinator did not write its port file in 60 s');
      await sleep(50);
    }
  }

  /** A valid agent config for `party` (policy: MST only, epsilon <= 1 per study, auto-approve). */
  agentConfig(party: string, kit = this.kitDir(party)): AgentConfigFile {
    return {
      party: { id: party },
      coordinator: { address: this.address },
      kit,
      dataset: {
        id: `${party}-${this.table ? 'table' : 'adult'}`,
        source: { kind: 'csv', path: this.siloFile(party) },
        schema: this.schemaFile,
        onInvalid: 'fail',
        ...(this.table?.controlShare ? { controlRows: Math.floor(this.table.siloRows(party) * this.table.controlShare) } : {}),
      },
      policy: {
        allowedColumns: '*',
        maxEpsilonPerStudy: 1,
        maxDeltaPerStudy: 1e-6,
        lifetimeEpsilon: 10,
        autoApprove: true,
        allowedMechanisms: ['mst', 'aim'],
        minParties: 2,
        allowPlainAggregation: true,
      },
      state: { dir: this.stateDir(party) },
    };
  }

  writeConfig(name: string, cfg: unknown): string {
    mkdirSync(join(this.dir, 'configs'), { recursive: true });
    const f = join(this.dir, 'configs', `${name}.json`);
    writeFileSync(f, JSON.stringify(cfg, null, 2));
    return f;
  }

  /**
   * Starts `fedsynth agent start` for `party` (its default config unless `config` is given); `env`
   * adds environment variables (e.g. the test crash hook, platform/testing/crashHook.ts).
   */
  startAgent(party: string, o: { config?: string; name?: string; extraArgs?: readonly string[]; env?: Readonly<Record<string, string>> } = {}): ChildHandle {
    const name = o.name ?? party;
    const config = o.config ?? this.writeConfig(name, this.agentConfig(party));
    const log = join(this.dir, 'logs', `${name}.log`);
    const h = this.spawnCli(name, ['agent', 'start', '--config', config, '--log', log, ...(o.extraArgs ?? [])], log, o.env);
    this.agents.set(name, h);
    return h;
  }

  /** The custodian's kit (issued on first use) and state directory. */
  get custodianStateDir(): string {
    return join(this.dir, 'custodian');
  }

  /**
   * Starts `fedsynth custodian start` (issuing its kit on first use) against the running coordinator;
   * resolves once the coordinator logs it online. `env` as for startAgent.
   */
  async startCustodian(o: { name?: string; env?: Readonly<Record<string, string>> } = {}): Promise<ChildHandle> {
    const kit = this.kitDir('custodian');
    if (!existsSync(kit)) await issueKit(this.ca, { role: 'custodian', id: 'custodian', coordinator: '127.0.0.1:7443', out: kit });
    const name = o.name ?? 'custodian';
    const log = join(this.dir, 'logs', `${name}.log`);
    const before = this.custodianOnlineEvents();
    const h = this.spawnCli(name, ['custodian', 'start', '--kit', kit, '--state', this.custodianStateDir, '--coordinator', this.address, '--server-name', 'localhost', '--log', log], log, o.env);
    this.agents.set(name, h);
    await ProcessConsortium.until(() => this.custodianOnlineEvents() > before || !h.running, 60_000, 'the custodian to come online');
    if (!h.running) throw new Error(`custodian exited (${h.exitCode}): ${h.stderr().trim()}`);
    return h;
  }

  /** Custodian connections the coordinator logged. */
  custodianOnlineEvents(): number {
    return (this.coordinator?.logLines() ?? []).filter((l) => l.msg === 'key custodian online').length;
  }

  startAgents(): void {
    for (const p of this.parties) this.startAgent(p);
  }

  /** An operator client with the operator's kit (reconnects by itself after a restart on the same port). */
  operator(): OperatorClient {
    if (!this.client) this.client = OperatorClient.fromKit(this.kitDir('operator'), this.address);
    return this.client;
  }

  /** Creates a study on the raw Adult schema; returns its id. */
  async createStudy(o: StudyOptions = {}): Promise<string> {
    const spec: StudySpec = {
      ...StudySpec.fromPartial({}),
      studyId: o.id ?? '',
      title: 'integration test',
      mechanism: mechanismToWire(o.mechanism ?? 'mst'),
      epsilon: o.epsilon ?? 1,
      delta: o.delta ?? 1e-9,
      domain: this.domain.attrs.map((name, i) => ({ name, size: this.domain.shape[i] })),
      aggregation: o.aggregation === 'plain' ? Aggregation.AGGREGATION_PLAIN : o.aggregation === 'he' ? Aggregation.AGGREGATION_HE : Aggregation.AGGREGATION_MASKING,
      minParties: o.minParties ?? 2,
      syntheticRows: o.rows ?? 500,
      domainHash: domainHash(this.domain),
      maxSilosPerIndividual: 1,
      targetColumn: this.table ? this.table.target : 'income',
      schemaJson: JSON.stringify(this.schemaRaw),
      training: o.mechanism === 'dpsgd' ? { ...completeDpsgdTraining(o.training), hidden: [...completeDpsgdTraining(o.training).hidden] } : undefined,
      evaluationRho: o.evaluationRho ?? 0,
    };
    const parties = [...(o.parties ?? this.parties)];
    // The coordinator invites only parties it has known (NOT_FOUND otherwise): wait for each to have come online once.
    await ProcessConsortium.until(() => parties.every((p) => this.onlineEvents(p) >= 1), o.onlineTimeoutMs ?? 90_000, `${parties.join(', ')} to have come online`);
    const st = await this.operator().createStudy({ spec, parties, seed: '', splitNote: '', roundTimeoutMs: o.roundTimeoutMs ?? 0 });
    return st.spec!.studyId;
  }

  /** Polls `getStudy` until `until` holds (or the study ends in another terminal state). */
  async waitForStudy(studyId: string, until: (s: StudyStatus) => boolean, timeoutMs = 180_000, pollMs = 150): Promise<StudyStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: StudyStatus | undefined;
    for (;;) {
      try {
        last = await this.operator().getStudy(studyId);
        if (until(last)) return last;
        if (['done', 'failed', 'cancelled'].includes(last.state)) {
          throw new Error(`study ${studyId} ended ${last.state} (${last.errorCode}: ${last.errorMessage}) before the awaited condition`);
        }
      } catch (e) {
        if ((e as Error).message.startsWith(`study ${studyId} ended`)) throw e;
        // coordinator restarting: keep polling
      }
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for study ${studyId} (last: ${last?.state} ${last?.phase}); coordinator stderr: ${this.coordinator?.stderr().slice(-2000)}`);
      }
      await sleep(pollMs);
    }
  }

  /** Polls until `cond()` is true. */
  static async until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  /** Parties the coordinator logged as online (its pino log), counted per connection. */
  onlineEvents(partyId: string): number {
    return (this.coordinator?.logLines() ?? []).filter((l) => l.msg === 'agent online' && l.partyId === partyId).length;
  }

  /** Stops every process (agents first, SIGTERM then SIGKILL) and removes the work directory. */
  async stop(o: { keep?: boolean } = {}): Promise<void> {
    this.client?.close();
    this.client = undefined;
    await Promise.all([...this.agents.values()].map((a) => a.stop()));
    await this.coordinator?.stop();
    if (!o.keep && process.env.FEDSYNTH_KEEP_TEST_DIRS !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
