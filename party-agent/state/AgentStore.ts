// AgentStore: the party agent's own durable state (SQLite, WAL, synchronous=FULL): the studies it
// was shown and its decisions, every noisy vector it released and the round it bound it to (round
// id, participants, survivor set signed), keyed by the charge key (verification/RoundBinding).
import type Database from 'better-sqlite3';
import { openDurableDatabase } from '../../platform/sqlite/openDurableDatabase.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

export type Decision = 'pending' | 'approved' | 'refused';

export interface KnownStudy {
  studyId: string;
  specJson: string;
  decision: Decision;
  reason: string;
  updatedMs: number;
}

export class AgentStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    try {
      this.db = openDurableDatabase(path, `
        CREATE TABLE IF NOT EXISTS studies (study_id TEXT PRIMARY KEY, spec_json TEXT NOT NULL,
          decision TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', updated_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS releases (charge_key TEXT PRIMARY KEY, study_id TEXT NOT NULL,
          round_id TEXT NOT NULL, noisy BLOB NOT NULL, element_bits INTEGER NOT NULL, sigma2 REAL NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS round_bindings (charge_key TEXT PRIMARY KEY, study_id TEXT NOT NULL,
          binding_json TEXT NOT NULL, survivors_json TEXT, created_ms INTEGER NOT NULL);
      `);
      this.db.prepare('SELECT COUNT(*) FROM studies').get();
    } catch (e) {
      throw new FedsynthError(ErrorCode.CorruptState, `agent state file ${path} cannot be opened: ${(e as Error).message}`, { path });
    }
  }

  close(): void {
    this.db.close();
  }

  upsertStudy(studyId: string, specJson: string, decision: Decision, reason: string): void {
    this.db
      .prepare(
        `INSERT INTO studies(study_id, spec_json, decision, reason, updated_ms) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(study_id) DO UPDATE SET decision = excluded.decision, reason = excluded.reason, updated_ms = excluded.updated_ms`,
      )
      .run(studyId, specJson, decision, reason, Date.now());
  }

  study(studyId: string): KnownStudy | undefined {
    const r = this.db.prepare('SELECT * FROM studies WHERE study_id = ?').get(studyId) as Record<string, unknown> | undefined;
    return r ? toStudy(r) : undefined;
  }

  studies(): KnownStudy[] {
    return (this.db.prepare('SELECT * FROM studies ORDER BY updated_ms').all() as Record<string, unknown>[]).map(toStudy);
  }

  release(chargeKey: string): { noisy: Uint8Array; elementBits: number; sigma2: number } | undefined {
    const r = this.db.prepare('SELECT noisy, element_bits, sigma2 FROM releases WHERE charge_key = ?').get(chargeKey) as { noisy: Buffer; element_bits: number; sigma2: number } | undefined;
    return r ? { noisy: new Uint8Array(r.noisy), elementBits: r.element_bits, sigma2: r.sigma2 } : undefined;
  }

  /** Records a noisy vector before it is sent; an existing record for the key wins. */
  recordRelease(chargeKey: string, studyId: string, roundId: string, noisy: Uint8Array, elementBits: number, sigma2: number): { noisy: Uint8Array; elementBits: number; sigma2: number } {
    this.db
      .prepare('INSERT OR IGNORE INTO releases(charge_key, study_id, round_id, noisy, element_bits, sigma2, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(chargeKey, studyId, roundId, Buffer.from(noisy), elementBits, sigma2, Date.now());
    return this.release(chargeKey)!;
  }

  /** The round a charge key is bound to (JSON, verification/RoundBinding), and the survivor set signed for it. */
  roundBinding(chargeKey: string): { bindingJson: string; survivorsJson: string | undefined } | undefined {
    const r = this.db.prepare('SELECT binding_json, survivors_json FROM round_bindings WHERE charge_key = ?').get(chargeKey) as
      | { binding_json: string; survivors_json: string | null }
      | undefined;
    return r ? { bindingJson: r.binding_json, survivorsJson: r.survivors_json ?? undefined } : undefined;
  }

  /** Binds a charge key to a round, durably, unless it is bound already; returns the stored binding. */
  bindRound(chargeKey: string, studyId: string, bindingJson: string): { bindingJson: string; survivorsJson: string | undefined } {
    this.db.prepare('INSERT OR IGNORE INTO round_bindings(charge_key, study_id, binding_json, created_ms) VALUES (?, ?, ?, ?)').run(chargeKey, studyId, bindingJson, Date.now());
    return this.roundBinding(chargeKey)!;
  }

  /** Records the survivor set signed for a bound charge key, durably, unless one is recorded; returns the stored one. */
  bindSurvivors(chargeKey: string, survivorsJson: string): string | undefined {
    this.db.prepare('UPDATE round_bindings SET survivors_json = ? WHERE charge_key = ? AND survivors_json IS NULL').run(survivorsJson, chargeKey);
    return this.roundBinding(chargeKey)?.survivorsJson;
  }
}

function toStudy(r: Record<string, unknown>): KnownStudy {
  return {
    studyId: String(r.study_id),
    specJson: String(r.spec_json),
    decision: String(r.decision) as Decision,
    reason: String(r.reason),
    updatedMs: Number(r.updated_ms),
  };
}
