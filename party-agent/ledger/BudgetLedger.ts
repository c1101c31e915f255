// BudgetLedger: the party's durable privacy-budget ledger (SQLite, WAL, synchronous=FULL).
// Every charge is checked against a per-study cap and a lifetime cap per dataset, atomically, BEFORE release.
import Database from 'better-sqlite3';
import { openDurableDatabase } from '../../platform/sqlite/openDurableDatabase.js';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { BudgetExceededError } from '../../shared/dp/accounting/BudgetExceededError.js';
import { checkPrivacyNumber } from '../../shared/dp/accounting/checkPrivacyNumber.js';

export interface BudgetLedgerOptions {
  /** Cap on the rho one study may spend on one dataset. */
  readonly perStudyRho: number;
  /** Cap on the rho all studies together may ever spend on one dataset. */
  readonly lifetimeRho: number;
  /** Dataset charged when a request names none (an agent serving a single dataset). */
  readonly defaultDataset?: string;
  /** How long to wait for another writer's lock, ms (default 10 s). */
  readonly busyTimeoutMs?: number;
}

export interface ChargeRequest {
  readonly studyId: string;
  /** Unique per release, e.g. `${studyId}/${roundId}/${measurement}`. */
  readonly idempotencyKey: string;
  readonly rho: number;
  readonly label: string;
  readonly dataset?: string;
  /** A study-specific cap (e.g. the rho the custodian approved); the smaller cap applies. */
  readonly studyCapRho?: number;
}

export interface LedgerCharge {
  readonly id: number;
  readonly idempotencyKey: string;
  readonly studyId: string;
  readonly dataset: string;
  readonly rho: number;
  readonly label: string;
  readonly createdMs: number;
  /** True when this call found the charge already recorded (a retry): nothing was charged again. */
  readonly replayed: boolean;
}

interface Row {
  id: number;
  idempotency_key: string;
  study_id: string;
  dataset: string;
  rho: number;
  label: string;
  created_ms: number;
}

const SLACK = 1e-12;

function toCharge(r: Row, replayed: boolean): LedgerCharge {
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    studyId: r.study_id,
    dataset: r.dataset,
    rho: r.rho,
    label: r.label,
    createdMs: r.created_ms,
    replayed,
  };
}

/**
 * A ledger on one SQLite file; several connections (threads or processes) may share the file.
 * `charge` runs in a BEGIN IMMEDIATE transaction: it takes the write lock first, so concurrent
 * charges are serialised and the cap checks see every committed charge. With synchronous=FULL the
 * charge is on disk when `charge` returns, i.e. before the caller sends anything; a crash after
 * that and a retry with the same idempotency key finds the charge and does not charge again.
 */
export class BudgetLedger {
  private readonly db: Database.Database;
  private readonly opts: Required<Omit<BudgetLedgerOptions, 'busyTimeoutMs'>>;
  private readonly chargeTx: (req: ChargeRequest) => LedgerCharge;

  constructor(path: string, options: BudgetLedgerOptions) {
    checkPrivacyNumber(options.perStudyRho, 'perStudyRho');
    checkPrivacyNumber(options.lifetimeRho, 'lifetimeRho');
    this.opts = { perStudyRho: options.perStudyRho, lifetimeRho: options.lifetimeRho, defaultDataset: options.defaultDataset ?? 'default' };
    try {
      this.db = openDurableDatabase(path, `
        CREATE TABLE IF NOT EXISTS budget_charges (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          idempotency_key TEXT NOT NULL UNIQUE,
          study_id TEXT NOT NULL,
          dataset TEXT NOT NULL,
          rho REAL NOT NULL CHECK (rho >= 0),
          label TEXT NOT NULL,
          created_ms INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS budget_charges_study ON budget_charges (study_id, dataset);
        CREATE INDEX IF NOT EXISTS budget_charges_dataset ON budget_charges (dataset);
      `, { busyTimeoutMs: options.busyTimeoutMs ?? 10_000 });
    } catch (e) {
      throw new FedsynthError(ErrorCode.CorruptState, `budget ledger ${path} cannot be opened: ${(e as Error).message}`, { path });
    }
    const byKey = this.db.prepare<[string], Row>('SELECT * FROM budget_charges WHERE idempotency_key = ?');
    const studySpent = this.db.prepare<[string, string], { s: number }>(
      'SELECT COALESCE(SUM(rho), 0) AS s FROM budget_charges WHERE study_id = ? AND dataset = ?',
    );
    const datasetSpent = this.db.prepare<[string], { s: number }>('SELECT COALESCE(SUM(rho), 0) AS s FROM budget_charges WHERE dataset = ?');
    const insert = this.db.prepare<[string, string, string, number, string, number]>(
      'INSERT INTO budget_charges (idempotency_key, study_id, dataset, rho, label, created_ms) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const tx = this.db.transaction((req: ChargeRequest): LedgerCharge => {
      const dataset = req.dataset ?? this.opts.defaultDataset;
      const existing = byKey.get(req.idempotencyKey);
      if (existing !== undefined) {
        if (existing.rho !== req.rho || existing.study_id !== req.studyId || existing.dataset !== dataset) {
          throw new FedsynthError(
            ErrorCode.ProtocolViolation,
            `idempotency key ${req.idempotencyKey} was already charged with different parameters`,
            { idempotencyKey: req.idempotencyKey, recordedRho: existing.rho, requestedRho: req.rho },
          );
        }
        return toCharge(existing, true);
      }
      const studyCap = Math.min(this.opts.perStudyRho, req.studyCapRho ?? Infinity);
      const study = studySpent.get(req.studyId, dataset)?.s ?? 0;
      const life = datasetSpent.get(dataset)?.s ?? 0;
      const studyLeft = Math.max(0, studyCap - study);
      const lifeLeft = Math.max(0, this.opts.lifetimeRho - life);
      if (study + req.rho > studyCap * (1 + SLACK) || life + req.rho > this.opts.lifetimeRho * (1 + SLACK)) {
        throw new BudgetExceededError(req.rho, Math.min(studyLeft, lifeLeft), {
          studyId: req.studyId,
          dataset,
          scope: study + req.rho > studyCap * (1 + SLACK) ? 'study' : 'lifetime',
        });
      }
      const now = Date.now();
      const info = insert.run(req.idempotencyKey, req.studyId, dataset, req.rho, req.label, now);
      return toCharge(
        { id: Number(info.lastInsertRowid), idempotency_key: req.idempotencyKey, study_id: req.studyId, dataset, rho: req.rho, label: req.label, created_ms: now },
        false,
      );
    });
    this.chargeTx = (req) => tx.immediate(req);
  }

  /** Atomically checks both caps and records the charge; a retry with the same key is a no-op. */
  charge(req: ChargeRequest): LedgerCharge {
    checkPrivacyNumber(req.rho, 'rho');
    if (req.studyCapRho !== undefined) checkPrivacyNumber(req.studyCapRho, 'studyCapRho');
    for (const [k, v] of [['studyId', req.studyId], ['idempotencyKey', req.idempotencyKey]] as const) {
      if (typeof v !== 'string' || v.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, `${k} must be a non-empty string`);
    }
    return this.chargeTx(req);
  }

  /** Rho spent by a study (on one dataset, or on all datasets when none is given). */
  spent(studyId: string, dataset?: string): number {
    const row =
      dataset === undefined
        ? this.db.prepare<[string], { s: number }>('SELECT COALESCE(SUM(rho), 0) AS s FROM budget_charges WHERE study_id = ?').get(studyId)
        : this.db
            .prepare<[string, string], { s: number }>('SELECT COALESCE(SUM(rho), 0) AS s FROM budget_charges WHERE study_id = ? AND dataset = ?')
            .get(studyId, dataset);
    return row?.s ?? 0;
  }

  /** Rho spent on a dataset by all studies. */
  lifetimeSpent(dataset?: string): number {
    const row = this.db
      .prepare<[string], { s: number }>('SELECT COALESCE(SUM(rho), 0) AS s FROM budget_charges WHERE dataset = ?')
      .get(dataset ?? this.opts.defaultDataset);
    return row?.s ?? 0;
  }

  /** Every charge, oldest first. */
  list(): LedgerCharge[] {
    return this.db.prepare<[], Row>('SELECT * FROM budget_charges ORDER BY id').all().map((r) => toCharge(r, false));
  }

  close(): void {
    this.db.close();
  }
}

/** Reads the charges of a ledger file without caps (for `fedsynth privacy ledger`). */
export function readLedger(path: string): LedgerCharge[] {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new FedsynthError(ErrorCode.NotFound, `no ledger at ${path}: ${(e as Error).message}`, { path });
  }
  try {
    return db.prepare<[], Row>('SELECT * FROM budget_charges ORDER BY id').all().map((r) => toCharge(r, false));
  } catch (e) {
    throw new FedsynthError(ErrorCode.CorruptState, `${path} is not a budget ledger: ${(e as Error).message}`, { path });
  } finally {
    db.close();
  }
}
