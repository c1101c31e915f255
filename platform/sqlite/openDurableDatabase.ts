// openDurableDatabase: opens a service's SQLite state file the one way every fedsynth store needs it:
// write-ahead log, synchronous=FULL (a committed charge, decision or round survives power loss), schema applied.
import Database from 'better-sqlite3';

export interface DurableDatabaseOptions {
  /** How long a writer waits for another process's lock before SQLITE_BUSY (better-sqlite3 default: 5 s). */
  busyTimeoutMs?: number;
}

/** Opens (creating if needed) `path` in WAL mode with synchronous=FULL and runs `schemaSql` (idempotent DDL). */
export function openDurableDatabase(path: string, schemaSql: string, options: DurableDatabaseOptions = {}): Database.Database {
  const db = options.busyTimeoutMs === undefined ? new Database(path) : new Database(path, { timeout: options.busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(schemaSql);
  return db;
}
