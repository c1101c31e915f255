// BudgetLedger: the party's durable privacy-budget ledger (SQLite, WAL, synchronous=FULL) around the
// PrivacyAccountant: each charge is checked against a per-study and a lifetime cap, atomically, BEFORE release.
import Database from 'better-sqlite3';
import { openDurableDatabase } from '../../platform/sqlite/openDurableDatabase.js';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { BudgetExceededError } from '../../shared/dp/accounting/BudgetExceededError.js';
import { checkPrivacyNumber } from '../../shared/dp/accounting/checkPrivacyNumber.js';
import { PrivacyAccountant } from '../../shared/dp/accounting/PrivacyAccountant.js';
import { checkRdpCurve, composeLosses, type PrivacyLoss } from '../../shared/dp/accounting/PrivacyLoss.js';

export interface BudgetLedgerOptions {
  /** Cap on the rho one study may spend on one dataset. */
  readonly perStudyRho: number;
  /** Cap on the rho all studies together may ever spend on one dataset. */
  readonly lifetimeRho: number;
  /** Dataset charged when a request names none (an agent serving a single dataset). */
  readonly defaultDataset?: string;
  /**
   * The delta at which the caps are read as (epsilon, delta) once an RDP charge is involved (the
   * agent's policy delta); needed only for charges with an `rdp` curve (PrivacyAccountant).
   */
  readonly delta?: number;
  /** How long to wait for another writer's lock, ms (default 10 s). */
  readonly busyTimeoutMs?: number;
}

export interface ChargeRequest {
  readonly studyId: string;
  /** Unique per release, e.g. `${studyId}/${roundId}/${measurement}`. */
  readonly idempotencyKey: string;
  /** The zCDP part of the release's loss. */
  readonly rho: number;
  /** An RDP part of the loss on RDP_ORDERS (e.g. a subsampled Gaussian), composed with the zCDP charges. */
  readonly rdp?: readonly number[];
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
  readonly rdp?: readonly number[];
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
  /** JSON array on RDP_ORDERS, or NULL for a zCDP-only charge. */
  rdp: string | null;
  label: string;
  created_ms: number;
}

function toCharge(r: Row, replayed: boolean): LedgerCharge {
  return {
    id: r.id,
    idempotencyKey: r.idempotency_key,
    studyId: r.study_id,
    dataset: r.dataset,
    rho: r.rho,
    ...(r.rdp !== null ? { rdp: JSON.parse(r.rdp) as number[] } : {}),
    label: r.label,
    createdMs: r.created_ms,
    replayed,
  };
}

/**
 * The composed RDP curves of one scope's committed charges, up to charge id `lastId`. Charges are
 * append-only and ids grow in commit order (AUTOINCREMENT under the write lock), so the sum is
 * extended with the rows of id > lastId only: a DP-SGD training charges one curve per round, and
 * re-reading every curve made each charge linear in the rounds so far.
 */
interface CurveSum {
  lastId: number;
  loss: PrivacyLoss;
}

/** Adds the curves of `rows` (in id order) to `sum`, in the order a full re-read would add them. */
function extendCurves(sum: CurveSum, rows: readonly { id: number; rdp: string }[]): CurveSum {
  let loss = sum.loss;
  let lastId = sum.lastId;
  for (const r of rows) {
    loss = composeLosses(loss, { rho: 0, rdp: JSON.parse(r.rdp) as number[] });
    lastId = r.id;
  }
  return { lastId, loss };
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
  private readonly opts: Required<Omit<BudgetLedgerOptions, 'busyTimeoutMs' | 'delta'>> & { delta?: number };
  private readonly chargeTx: (req: ChargeRequest) => LedgerCharge;

  constructor(path: string, options: BudgetLedgerOptions) {
    checkPrivacyNumber(options.perStudyRho, 'perStudyRho');
    checkPrivacyNumber(options.lifetimeRho, 'lifetimeRho');
    this.opts = { perStudyRho: options.perStudyRho, lifetimeRho: options.lifetimeRho, defaultDataset: options.defaultDataset ?? 'default', delta: options.delta };
    try {
      this.db = openDurableDatabase(path, `
        CREATE TABLE IF NOT EXISTS budget_charges (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          idempotency_key TEXT NOT NULL UNIQUE,
          study_id TEXT NOT NULL,
          dataset TEXT NOT NULL,
          rho REAL NOT NULL CHECK (rho >= 0),
          label TEXT NOT NULL,
          created_ms INTEGER NOT NULL,
          rdp TEXT
        );
        CREATE INDEX IF NOT EXISTS budget_charges_study ON budget_charges (study_id, dataset);
        CREATE INDEX IF NOT EXISTS budget_charges_dataset ON budget_charges (dataset);
      `, { busyTimeoutMs: options.busyTimeoutMs ?? 10_000 });
      // Ledgers created before RDP charges existed gain the (nullable) column (another process may
      // have just added it: "duplicate column" is not an error).
      const columns = this.db.prepare<[], { name: string }>('PRAGMA table_info(budget_charges)').all();
      if (!columns.some((c) => c.name === 'rdp')) {
        try {
          this.db.exec('ALTER TABLE budget_charges ADD COLUMN rdp TEXT');
        } catch (e) {
          if (!/duplicate column/i.test((e as Error).message)) throw e;
        }
      }
    } catch (e) {
      throw new FedsynthError(ErrorCode.CorruptState, `budget ledger ${path} cannot be opened: ${(e as Error).message}`, { path });
    }
    const byKey = this.db.prepare<[string], Row>('SELECT * FROM budget_charges WHERE idempotency_key = ?');
    const studySpent = this.db.prepare<[string, string], { s: number }>(
      'SELECT COALESCE(SUM(rho), 0) AS s FROM budget_charges WHERE study_id = ? AND dataset = ?',
    );
    const datasetSpent = this.db.prepare<[string], { s: number }>('SELECT COALESCE(SUM(rho), 0) AS s FROM budget_charges WHERE dataset = ?');
    const studyCurves = this.db.prepare<[string, string, number], { id: number; rdp: string }>(
      'SELECT id, rdp FROM budget_charges WHERE study_id = ? AND dataset = ? AND rdp IS NOT NULL AND id > ? ORDER BY id',
    );
    const datasetCurves = this.db.prepare<[string, number], { id: number; rdp: string }>(
      'SELECT id, rdp FROM budget_charges WHERE dataset = ? AND rdp IS NOT NULL AND id > ? ORDER BY id',
    );
    // Composed curves per scope (committed rows only: the cache is extended with rows read inside the
    // transaction, never with the charge being decided).
    const curveSums = new Map<string, CurveSum>();
    const curvesOf = (key: string, read: (afterId: number) => { id: number; rdp: string }[]): PrivacyLoss => {
      const before = curveSums.get(key) ?? { lastId: 0, loss: { rho: 0 } };
      const after = extendCurves(before, read(before.lastId));
      curveSums.set(key, after);
      return after.loss;
    };
    const insert = this.db.prepare<[string, string, string, number, string, number, string | null]>(
      'INSERT INTO budget_charges (idempotency_key, study_id, dataset, rho, label, created_ms, rdp) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    const tx = this.db.transaction((req: ChargeRequest): LedgerCharge => {
      const dataset = req.dataset ?? this.opts.defaultDataset;
      const rdpJson = req.rdp !== undefined ? JSON.stringify(req.rdp) : null;
      const existing = byKey.get(req.idempotencyKey);
      if (existing !== undefined) {
        if (existing.rho !== req.rho || existing.rdp !== rdpJson || existing.study_id !== req.studyId || existing.dataset !== dataset) {
          throw new FedsynthError(
            ErrorCode.ProtocolViolation,
            `idempotency key ${req.idempotencyKey} was already charged with different parameters`,
            { idempotencyKey: req.idempotencyKey, recordedRho: existing.rho, requestedRho: req.rho },
          );
        }
        return toCharge(existing, true);
      }
      // One accountant per cap, opened with what the committed charges spent; the charge is
      // recorded only if both admit it.
      const studyCap = Math.min(this.opts.perStudyRho, req.studyCapRho ?? Infinity);
      const delta = this.opts.delta;
      const studyLoss = curvesOf(JSON.stringify(['study', req.studyId, dataset]), (after) => studyCurves.all(req.studyId, dataset, after));
      const lifeLoss = curvesOf(JSON.stringify(['dataset', dataset]), (after) => datasetCurves.all(dataset, after));
      const study = new PrivacyAccountant(studyCap, { delta, spent: composeLosses({ rho: studySpent.get(req.studyId, dataset)?.s ?? 0 }, studyLoss) });
      const life = new PrivacyAccountant(this.opts.lifetimeRho, { delta, spent: composeLosses({ rho: datasetSpent.get(dataset)?.s ?? 0 }, lifeLoss) });
      const loss: PrivacyLoss = req.rdp !== undefined ? { rho: req.rho, rdp: req.rdp } : { rho: req.rho };
      const studyOk = study.canCharge(loss);
      if (!studyOk || !life.canCharge(loss)) {
        throw new BudgetExceededError(req.rho, Math.min(study.remaining, life.remaining), {
          studyId: req.studyId,
          dataset,
          scope: studyOk ? 'lifetime' : 'study',
          ...(req.rdp !== undefined ? { rdp: true } : {}),
        });
      }
      const now = Date.now();
      const info = insert.run(req.idempotencyKey, req.studyId, dataset, req.rho, req.label, now, rdpJson);
      return toCharge(
        { id: Number(info.lastInsertRowid), idempotency_key: req.idempotencyKey, study_id: req.studyId, dataset, rho: req.rho, rdp: rdpJson, label: req.label, created_ms: now },
        false,
      );
    });
    this.chargeTx = (req) => tx.immediate(req);
  }

  /** Atomically checks both caps and records the charge; a retry with the same key is a no-op. */
  charge(req: ChargeRequest): LedgerCharge {
    checkPrivacyNumber(req.rho, 'rho');
    if (req.rdp !== undefined) checkRdpCurve(req.rdp);
    if (req.studyCapRho !== undefined) checkPrivacyNumber(req.studyCapRho, 'studyCapRho');
    for (const [k, v] of [['studyId', req.studyId], ['idempotencyKey', req.idempotencyKey]] as const) {
      if (typeof v !== 'string' || v.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, `${k} must be a non-empty string`);
    }
    return this.chargeTx(req);
  }

  /** Rho spent by a study (on one dataset, or on all datasets when none is given): the zCDP parts. */
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
