// inMemoryDuckDb: the one way fedsynth opens DuckDB (an in-memory instance and one connection,
// closed together), for the agent's file sources, schema inference and the coordinator's Parquet output.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';

export interface InMemoryDuckDb {
  readonly conn: DuckDBConnection;
  /** Closes the connection, then the instance. */
  close(): void;
}

/** Opens an in-memory DuckDB; `threads` pins its worker threads (e.g. 1 for byte-stable output). */
export async function openInMemoryDuckDb(threads?: number): Promise<InMemoryDuckDb> {
  const inst = await DuckDBInstance.create(':memory:', threads ? { threads: String(threads) } : {});
  const conn = await inst.connect();
  return {
    conn,
    close: () => {
      conn.closeSync();
      inst.closeSync();
    },
  };
}

/** Runs `fn` on a fresh in-memory DuckDB connection and always closes it. */
export async function withInMemoryDuckDb<T>(fn: (conn: DuckDBConnection) => Promise<T>, threads?: number): Promise<T> {
  const db = await openInMemoryDuckDb(threads);
  try {
    return await fn(db.conn);
  } finally {
    db.close();
  }
}
