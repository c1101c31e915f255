// CoordinatorStore: the coordinator's durable state in SQLite (better-sqlite3, WAL): studies, their
// parties' decisions, the journal of released rounds (a restart resumes from it) and of round attempts.
import { checkRdpCurve, composeLosses, type PrivacyLoss } from '../../shared/dp/accounting/PrivacyLoss.js';
import type Database from 'better-sqlite3';
import { openDurableDatabase } from '../../platform/sqlite/openDurableDatabase.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { parseStudyState, transition, type StudyState } from '../../shared/study/StudyLifecycle.js';
import { roundAccounts, type RoundAccount, type RoundAttempt, type ReleasedRound } from '../../shared/study/RoundAccount.js';

export interface StudyRecord {
  id: string;
  specJson: string;
  state: StudyState;
  /** Coordinator-side randomness seed (selection, sampling), stored so a restart replays exactly. */
  seed: string;
  /** The study's own round timeout (ms; CreateStudyRequest.round_timeout_ms); 0 = the coordinator's. */
  roundTimeoutMs: number;
  createdMs: number;
  updatedMs: number;
  phase: string;
  progress: number;
  rhoSpent: number;
  errorCode: string;
  errorMessage: string;
}

export interface StudyPartyRecord {
  studyId: string;
  partyId: string;
  decision: 'pending' | 'approved' | 'refused';
  reason: string;
  rhoCharged: number;
  dropped: boolean;
}

/** One completed secure sum, journaled so that a restarted coordinator never asks again. */
export interface RoundRecord {
  studyId: string;
  roundIndex: number;
  roundId: string;
  label: string;
  /** SHA-256 (hex) of the encoded LocalQuery: a replay must ask the very same question. */
  queryDigest: string;
  /** The zCDP part of what the round charged every participant (0 for a gradient round). */
  rho: number;
  /**
   * The RDP part at RDP_ORDERS (a gradient round: the Poisson-subsampled discrete Gaussian curve
   * each participant's ledger charged, shared/dp/gradient/gradientRoundLoss); absent for zCDP rounds.
   */
  rdp?: readonly number[];
  sum: Float64Array;
  stddev: number;
  participants: string[];
  dropped: string[];
  completedMs: number;
}

/** A journaled round's small columns (CoordinatorStore.roundSummaries). */
interface RoundSummary {
  readonly roundIndex: number;
  readonly label: string;
  readonly rho: number;
  readonly rdp?: readonly number[];
  readonly participants: string[];
}

export class CoordinatorStore {
  private readonly db: Database.Database;
  private readonly summaries = new Map<string, Map<number, RoundSummary>>();

  constructor(path: string) {
    try {
      this.db = openDurableDatabase(path, `
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS studies (
          id TEXT PRIMARY KEY, spec_json TEXT NOT NULL, state TEXT NOT NULL, seed TEXT NOT NULL,
          created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL, phase TEXT NOT NULL DEFAULT '',
          progress REAL NOT NULL DEFAULT 0, rho_spent REAL NOT NULL DEFAULT 0,
          error_code TEXT NOT NULL DEFAULT '', error_message TEXT NOT NULL DEFAULT '',
          round_timeout_ms INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE IF NOT EXISTS study_parties (
          study_id TEXT NOT NULL, party_id TEXT NOT NULL, decision TEXT NOT NULL DEFAULT 'pending',
          reason TEXT NOT NULL DEFAULT '', rho_charged REAL NOT NULL DEFAULT 0, dropped INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (study_id, party_id));
        CREATE TABLE IF NOT EXISTS rounds (
          study_id TEXT NOT NULL, round_index INTEGER NOT NULL, round_id TEXT NOT NULL, label TEXT NOT NULL,
          query_digest TEXT NOT NULL, rho REAL NOT NULL, sum BLOB NOT NULL, stddev REAL NOT NULL,
          participants TEXT NOT NULL, dropped TEXT NOT NULL, completed_ms INTEGER NOT NULL, rdp TEXT,
          PRIMARY KEY (study_id, round_index));
        CREATE TABLE IF NOT EXISTS deliveries (
          study_id TEXT NOT NULL, party_id TEXT NOT NULL, file_name TEXT NOT NULL, sha256 TEXT NOT NULL,
          acked_ms INTEGER NOT NULL, PRIMARY KEY (study_id, party_id, file_name));
        CREATE TABLE IF NOT EXISTS round_attempts (
          study_id TEXT NOT NULL, round_index INTEGER NOT NULL, attempt INTEGER NOT NULL, round_id TEXT NOT NULL,
          label TEXT NOT NULL, rho REAL NOT NULL, charge_key TEXT NOT NULL, asked TEXT NOT NULL,
          charged TEXT NOT NULL DEFAULT '[]', outcome TEXT NOT NULL DEFAULT 'running',
          error_code TEXT NOT NULL DEFAULT '', error_message TEXT NOT NULL DEFAULT '',
          started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL DEFAULT 0,
          PRIMARY KEY (study_id, round_index, attempt));
        CREATE TABLE IF NOT EXISTS known_parties (party_id TEXT PRIMARY KEY, last_online_ms INTEGER NOT NULL);
      `);
      // Journals written before queries were binary kept the query as JSON; their rounds no
      // longer match any replayed query (such a study fails as diverged instead of re-asking).
      const cols = this.db.prepare('PRAGMA table_info(rounds)').all() as { name: string }[];
      if (cols.some((c) => c.name === 'query_json')) this.db.exec('ALTER TABLE rounds RENAME COLUMN query_json TO query_digest');
      // Journals from before gradient rounds recorded their RDP charge: the column is added, empty.
      if (!cols.some((c) => c.name === 'rdp')) this.db.exec('ALTER TABLE rounds ADD COLUMN rdp TEXT');
      // Studies from before per-study round timeouts: 0, the coordinator's.
      const studyCols = this.db.prepare('PRAGMA table_info(studies)').all() as { name: string }[];
      if (!studyCols.some((c) => c.name === 'round_timeout_ms')) this.db.exec('ALTER TABLE studies ADD COLUMN round_timeout_ms INTEGER NOT NULL DEFAULT 0');
      const v = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
      if (!v) this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)').run('schema_version', '1');
      else if (v.value !== '1') throw new Error(`unsupported schema_version ${v.value}`);
    } catch (e) {
      throw new FedsynthError(ErrorCode.CorruptState, `coordinator state file ${path} cannot be opened: ${(e as Error).message}`, { path });
    }
  }

  close(): void {
    this.db.close();
  }

  /** Records that a party's agent came online (an authenticated hello) under this id. */
  recordPartyOnline(partyId: string): void {
    this.db.prepare('INSERT INTO known_parties(party_id, last_online_ms) VALUES (?, ?) ON CONFLICT(party_id) DO UPDATE SET last_online_ms = excluded.last_online_ms').run(partyId, Date.now());
  }

  /** Parties this coordinator has known: every agent that came online, and every party that decided on a study. */
  knownParties(): string[] {
    const rows = this.db.prepare("SELECT party_id FROM known_parties UNION SELECT party_id FROM study_parties WHERE decision != 'pending' ORDER BY 1").all() as { party_id: string }[];
    return rows.map((r) => r.party_id);
  }

  createStudy(rec: { id: string; specJson: string; seed: string; parties: readonly string[]; roundTimeoutMs?: number }): void {
    const now = Date.now();
    const tx = this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO studies(id, spec_json, state, seed, created_ms, updated_ms, phase, round_timeout_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(rec.id, rec.specJson, 'draft', rec.seed, now, now, 'waiting for parties to approve', rec.roundTimeoutMs ?? 0);
      const ins = this.db.prepare('INSERT INTO study_parties(study_id, party_id) VALUES (?, ?)');
      for (const p of rec.parties) ins.run(rec.id, p);
    });
    tx();
  }

  getStudy(id: string): StudyRecord {
    const row = this.db.prepare('SELECT * FROM studies WHERE id = ?').get(id) as Record<string, unknown> | undefined;
    if (!row) throw new FedsynthError(ErrorCode.UnknownStudy, `unknown study '${id}'`, { studyId: id });
    return rowToStudy(row);
  }

  hasStudy(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM studies WHERE id = ?').get(id) !== undefined;
  }

  listStudies(): StudyRecord[] {
    return (this.db.prepare('SELECT * FROM studies ORDER BY created_ms').all() as Record<string, unknown>[]).map(rowToStudy);
  }

  /** Moves a study along the lifecycle (refusing illegal transitions) in one transaction. */
  setState(id: string, to: StudyState, fields: { phase?: string; errorCode?: string; errorMessage?: string } = {}): void {
    const tx = this.db.transaction(() => {
      const cur = this.getStudy(id);
      if (cur.state === to) return;
      transition(id, cur.state, to);
      this.db
        .prepare('UPDATE studies SET state = ?, updated_ms = ?, phase = COALESCE(?, phase), error_code = COALESCE(?, error_code), error_message = COALESCE(?, error_message) WHERE id = ?')
        .run(to, Date.now(), fields.phase ?? null, fields.errorCode ?? null, fields.errorMessage ?? null, id);
    });
    tx();
  }

  setProgress(id: string, progress: number, phase: string): void {
    this.db.prepare('UPDATE studies SET progress = ?, phase = ?, updated_ms = ? WHERE id = ?').run(progress, phase, Date.now(), id);
  }

  parties(studyId: string): StudyPartyRecord[] {
    return (this.db.prepare('SELECT * FROM study_parties WHERE study_id = ? ORDER BY party_id').all(studyId) as Record<string, unknown>[]).map((r) => ({
      studyId: String(r.study_id),
      partyId: String(r.party_id),
      decision: String(r.decision) as StudyPartyRecord['decision'],
      reason: String(r.reason),
      rhoCharged: Number(r.rho_charged),
      dropped: Number(r.dropped) === 1,
    }));
  }

  /**
   * Records a party's decision; false when it is the one already recorded (an agent re-sends its
   * decisions on every reconnection), so callers log and audit each decision once.
   */
  setDecision(studyId: string, partyId: string, approved: boolean, reason: string): boolean {
    const decision = approved ? 'approved' : 'refused';
    const cur = this.db.prepare('SELECT decision, reason FROM study_parties WHERE study_id = ? AND party_id = ?').get(studyId, partyId) as { decision: string; reason: string } | undefined;
    if (!cur) throw new FedsynthError(ErrorCode.UnknownStudy, `party ${partyId} is not invited to study ${studyId}`, { studyId, partyId });
    if (cur.decision === decision && cur.reason === reason) return false;
    this.db.prepare('UPDATE study_parties SET decision = ?, reason = ? WHERE study_id = ? AND party_id = ?').run(decision, reason, studyId, partyId);
    return true;
  }

  setDropped(studyId: string, partyId: string): void {
    this.db.prepare('UPDATE study_parties SET dropped = 1 WHERE study_id = ? AND party_id = ?').run(studyId, partyId);
  }

  journaledRound(studyId: string, roundIndex: number): RoundRecord | undefined {
    const r = this.db.prepare('SELECT * FROM rounds WHERE study_id = ? AND round_index = ?').get(studyId, roundIndex) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    const buf = r.sum as Buffer;
    const sum = new Float64Array(buf.byteLength / 8);
    new Uint8Array(sum.buffer).set(buf);
    return {
      studyId,
      roundIndex,
      roundId: String(r.round_id),
      label: String(r.label),
      queryDigest: String(r.query_digest),
      rho: Number(r.rho),
      ...(typeof r.rdp === 'string' ? { rdp: checkRdpCurve(JSON.parse(r.rdp) as number[]) } : {}),
      sum,
      stddev: Number(r.stddev),
      participants: JSON.parse(String(r.participants)) as string[],
      dropped: JSON.parse(String(r.dropped)) as string[],
      completedMs: Number(r.completed_ms),
    };
  }

  roundsDone(studyId: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM rounds WHERE study_id = ?').get(studyId) as { n: number }).n;
  }

  /**
   * Journals the start of a round attempt (before any party is asked) and returns its number
   * (1, 2, ... per round). An attempt of this round still `running` was cut short by a restart:
   * it is closed as failed (INTERRUPTED) first.
   */
  beginRoundAttempt(a: { studyId: string; roundIndex: number; roundId: string; label: string; rho: number; chargeKey: string; asked: readonly string[] }): number {
    const tx = this.db.transaction(() => {
      this.db
        .prepare("UPDATE round_attempts SET outcome = 'failed', error_code = 'INTERRUPTED', error_message = 'the coordinator stopped during this attempt', ended_ms = ? WHERE study_id = ? AND round_index = ? AND outcome = 'running'")
        .run(Date.now(), a.studyId, a.roundIndex);
      const n = (this.db.prepare('SELECT COALESCE(MAX(attempt), 0) AS n FROM round_attempts WHERE study_id = ? AND round_index = ?').get(a.studyId, a.roundIndex) as { n: number }).n + 1;
      this.db
        .prepare('INSERT INTO round_attempts(study_id, round_index, attempt, round_id, label, rho, charge_key, asked, started_ms) VALUES (?,?,?,?,?,?,?,?,?)')
        .run(a.studyId, a.roundIndex, n, a.roundId, a.label, a.rho, a.chargeKey, JSON.stringify([...a.asked]), Date.now());
      return n;
    });
    return tx();
  }

  /** Records that `partyId` answered the attempt's compute stage: it charged its ledger under the attempt's key. */
  recordAttemptCharge(studyId: string, roundIndex: number, attempt: number, partyId: string): void {
    const tx = this.db.transaction(() => {
      const row = this.db.prepare('SELECT charged FROM round_attempts WHERE study_id = ? AND round_index = ? AND attempt = ?').get(studyId, roundIndex, attempt) as { charged: string } | undefined;
      if (!row) return;
      const charged = new Set(JSON.parse(row.charged) as string[]).add(partyId);
      this.db.prepare('UPDATE round_attempts SET charged = ? WHERE study_id = ? AND round_index = ? AND attempt = ?').run(JSON.stringify([...charged].sort()), studyId, roundIndex, attempt);
    });
    tx();
  }

  /** Closes a round attempt: its aggregate was released (and journaled), or it failed and why. */
  endRoundAttempt(studyId: string, roundIndex: number, attempt: number, outcome: 'released' | 'failed', error: { code: string; message: string } = { code: '', message: '' }): void {
    this.db
      .prepare('UPDATE round_attempts SET outcome = ?, error_code = ?, error_message = ?, ended_ms = ? WHERE study_id = ? AND round_index = ? AND attempt = ?')
      .run(outcome, error.code, error.message, Date.now(), studyId, roundIndex, attempt);
  }

  /** Every round attempt of a study, in order. */
  roundAttempts(studyId: string): RoundAttempt[] {
    return (this.db.prepare('SELECT * FROM round_attempts WHERE study_id = ? ORDER BY round_index, attempt').all(studyId) as Record<string, unknown>[]).map((r) => ({
      roundIndex: Number(r.round_index),
      attempt: Number(r.attempt),
      roundId: String(r.round_id),
      label: String(r.label),
      rho: Number(r.rho),
      chargeKey: String(r.charge_key),
      asked: JSON.parse(String(r.asked)) as string[],
      charged: JSON.parse(String(r.charged)) as string[],
      outcome: String(r.outcome) as RoundAttempt['outcome'],
      errorCode: String(r.error_code),
      errorMessage: String(r.error_message),
    }));
  }

  /** The released rounds of a study (without their sums), in order. */
  releasedRounds(studyId: string): ReleasedRound[] {
    return this.roundSummaries(studyId).map(({ roundIndex, label, rho, participants }) => ({ roundIndex, label, rho, participants }));
  }

  /**
   * The small columns of a study's journal, each row read once and cached: a row's later columns
   * sit behind its sum BLOB (a MiB for a gradient round), so reading them costs SQLite a walk over
   * the blob's overflow pages, and status asks on every update. Journal rows are only ever inserted
   * (journalRound), never changed or deleted, so the cache stays exact.
   */
  private roundSummaries(studyId: string): readonly RoundSummary[] {
    let cached = this.summaries.get(studyId);
    if (cached === undefined) {
      cached = new Map();
      this.summaries.set(studyId, cached);
    }
    // The indices come from the primary key's index alone (no row is read); only new rows are read.
    const indices = (this.db.prepare('SELECT round_index FROM rounds WHERE study_id = ? ORDER BY round_index').all(studyId) as { round_index: number }[]).map((r) => Number(r.round_index));
    const read = this.db.prepare('SELECT label, rho, rdp, participants FROM rounds WHERE study_id = ? AND round_index = ?');
    return indices.map((roundIndex) => {
      let summary = cached.get(roundIndex);
      if (summary === undefined) {
        const r = read.get(studyId, roundIndex) as { label: string; rho: number; rdp: string | null; participants: string };
        summary = {
          roundIndex,
          label: String(r.label),
          rho: Number(r.rho),
          ...(typeof r.rdp === 'string' ? { rdp: checkRdpCurve(JSON.parse(r.rdp) as number[]) } : {}),
          participants: JSON.parse(String(r.participants)) as string[],
        };
        cached.set(roundIndex, summary);
      }
      return summary;
    });
  }

  /** Each round of a study with what it charged and whether it was released (shared/study/RoundAccount). */
  roundAccounts(studyId: string): RoundAccount[] {
    const state = this.getStudy(studyId).state;
    return roundAccounts(this.roundAttempts(studyId), this.releasedRounds(studyId), state === 'running' || state === 'fitting');
  }

  /**
   * What the study's released rounds charged each participant, composed (zCDP parts add, RDP curves
   * add order by order: shared/dp/accounting/PrivacyLoss): with `partyId`, only the rounds that
   * party took part in. Its epsilon (epsilonFromLoss) is what status and watch report, and what the
   * parties' ledgers hold for the study's released rounds.
   */
  releasedLoss(studyId: string, partyId?: string): PrivacyLoss {
    let loss: PrivacyLoss = { rho: 0 };
    for (const r of this.roundSummaries(studyId)) {
      if (partyId !== undefined && !r.participants.includes(partyId)) continue;
      loss = composeLosses(loss, r.rdp === undefined ? { rho: r.rho } : { rho: r.rho, rdp: r.rdp });
    }
    return loss;
  }

  /** Every journaled (released) round of a study, in order. */
  journaledRounds(studyId: string): RoundRecord[] {
    const rows = this.db.prepare('SELECT round_index FROM rounds WHERE study_id = ? ORDER BY round_index').all(studyId) as { round_index: number }[];
    return rows.map((r) => this.journaledRound(studyId, r.round_index)!);
  }

  /** Records that a party confirmed holding an output file with this hash. */
  recordDeliveryAck(studyId: string, partyId: string, fileName: string, sha256: string): void {
    this.db
      .prepare('INSERT INTO deliveries(study_id, party_id, file_name, sha256, acked_ms) VALUES (?, ?, ?, ?, ?) ON CONFLICT(study_id, party_id, file_name) DO UPDATE SET sha256 = excluded.sha256, acked_ms = excluded.acked_ms')
      .run(studyId, partyId, fileName, sha256, Date.now());
  }

  /** The output files a party has confirmed, with their hashes. */
  deliveryAcks(studyId: string, partyId: string): DeliveryAckRecord[] {
    return (this.db.prepare('SELECT file_name, sha256 FROM deliveries WHERE study_id = ? AND party_id = ?').all(studyId, partyId) as { file_name: string; sha256: string }[]).map((r) => ({
      fileName: r.file_name,
      sha256: r.sha256,
    }));
  }

  /** Parties that confirmed every one of `files` (acks are recorded only when the hash matched). */
  partiesHolding(studyId: string, files: readonly string[]): Set<string> {
    const rows = this.db.prepare('SELECT party_id, file_name FROM deliveries WHERE study_id = ?').all(studyId) as { party_id: string; file_name: string }[];
    const byParty = new Map<string, Set<string>>();
    for (const r of rows) byParty.set(r.party_id, (byParty.get(r.party_id) ?? new Set()).add(r.file_name));
    return new Set([...byParty].filter(([, got]) => files.every((f) => got.has(f))).map(([p]) => p));
  }

  /** Journals a completed round and mirrors the privacy charged, atomically. */
  journalRound(rec: RoundRecord): void {
    const tx = this.db.transaction(() => {
      this.db
        .prepare('INSERT INTO rounds(study_id, round_index, round_id, label, query_digest, rho, sum, stddev, participants, dropped, completed_ms, rdp) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)')
        .run(
          rec.studyId,
          rec.roundIndex,
          rec.roundId,
          rec.label,
          rec.queryDigest,
          rec.rho,
          Buffer.from(rec.sum.buffer, rec.sum.byteOffset, rec.sum.byteLength),
          rec.stddev,
          JSON.stringify(rec.participants),
          JSON.stringify(rec.dropped),
          rec.completedMs,
          rec.rdp === undefined ? null : JSON.stringify(checkRdpCurve(rec.rdp)),
        );
      this.db.prepare('UPDATE studies SET rho_spent = rho_spent + ?, updated_ms = ? WHERE id = ?').run(rec.rho, Date.now(), rec.studyId);
      const upd = this.db.prepare('UPDATE study_parties SET rho_charged = rho_charged + ? WHERE study_id = ? AND party_id = ?');
      for (const p of rec.participants) upd.run(rec.rho, rec.studyId, p);
      for (const p of rec.dropped) this.db.prepare('UPDATE study_parties SET dropped = 1 WHERE study_id = ? AND party_id = ?').run(rec.studyId, p);
    });
    tx();
  }
}

export interface DeliveryAckRecord {
  fileName: string;
  sha256: string;
}

function rowToStudy(row: Record<string, unknown>): StudyRecord {
  return {
    id: String(row.id),
    specJson: String(row.spec_json),
    state: parseStudyState(String(row.state)),
    seed: String(row.seed),
    roundTimeoutMs: Number(row.round_timeout_ms ?? 0),
    createdMs: Number(row.created_ms),
    updatedMs: Number(row.updated_ms),
    phase: String(row.phase),
    progress: Number(row.progress),
    rhoSpent: Number(row.rho_spent),
    errorCode: String(row.error_code),
    errorMessage: String(row.error_message),
  };
}
