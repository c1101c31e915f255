// LocalQueryThread: the party's exact answer to a round's counted LocalQuery, validated and computed in
// a worker thread so that rebuilding the model and scoring candidates never block the agent's event loop.
import { Worker } from 'node:worker_threads';
import { ErrorCode, FedsynthError, isFedsynthError, type ErrorCode as Code } from '../../shared/errors/FedsynthError.js';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { CachingMarginalSource } from '../../shared/data/CachingMarginalSource.js';
import type { CodeColumn } from '../../shared/data/EncodedTable.js';
import { RowFileMarginalSource } from '../data/RowFileMarginalSource.js';
import type { CodeRowLayout } from '../data/CodeRowFile.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { evaluateLocalQuery } from '../../shared/synth/evaluateLocalQuery.js';
import { validateLocalQuery, type LocalQuery } from '../../shared/synth/LocalQuery.js';
import { snapshotCells } from '../../shared/pgm/ModelSnapshot.js';
import { decodeLocalQuery } from '../../platform/wire/localQueryWire.js';
import { workerScript } from '../../platform/threads/workerScript.js';

/** main -> worker: decode and validate a query, answer or forget a prepared one, or a source answer. */
export type QueryToWorker =
  | { type: 'prepare'; job: number; query: Uint8Array; attrs: readonly string[]; shape: readonly number[]; table?: TableRef }
  | { type: 'answer'; job: number }
  | { type: 'discard'; job: number }
  | { type: 'source'; request: number; rowCount?: number; counts?: Float64Array[]; code?: string; message?: string };

/**
 * Rows held in memory, counted in the worker: `id` names the table (its columns sent once per worker,
 * with the first query on it); `cacheCells`: behind a CachingMarginalSource of that many cells, which
 * the worker keeps in its stead.
 */
export interface TableRef {
  readonly id: number;
  readonly columns?: readonly CodeColumn[];
  /** Rows in a CodeRowFile (the training part after a control split): the worker reopens the file. */
  readonly rowFile?: { readonly path: string; readonly layout: CodeRowLayout; readonly rows: number };
  readonly cacheCells?: number;
}

/** worker -> main: the query's validity, a question for the party's data source, or the answer. */
export type QueryToMain =
  | { type: 'prepared'; job: number }
  | { type: 'invalid'; job: number; message: string }
  | { type: 'rowCount'; job: number; request: number }
  | { type: 'marginals'; job: number; request: number; attrSets: string[][] }
  | { type: 'done'; job: number; exact: Float64Array }
  /** `known`: a FedsynthError (its code and message may be shown); else an unexpected error, kept from the peer. */
  | { type: 'failed'; job: number; code: string; known: boolean; message: string };

/** A query the worker decoded and validated, kept there until answered or discarded. */
export interface PreparedQuery {
  /** The exact (un-noised) answer: evaluateLocalQuery of the query, bit for bit. Once. */
  answer(): Promise<Float64Array>;
  /** Forgets the query if it was not answered (a round refused after validation). */
  discard(): void;
}

/** Prepared, or why the bytes are not a valid query (validateLocalQuery's message). */
export type Prepared = { readonly ok: true; readonly query: PreparedQuery } | { readonly ok: false; readonly message: string };

/** What the worker reports for a job: the query's validity, or its answer. */
type Outcome = { readonly valid: true } | { readonly valid: false; readonly message: string } | Float64Array;

interface Job {
  readonly source: MarginalSource;
  settle?: { resolve: (v: Outcome) => void; reject: (e: Error) => void };
}

/** The query kinds counted from the party's rows (evaluateLocalQuery); the others have their own paths. */
export function isCountedQuery(kind: LocalQuery['kind']): boolean {
  return kind === 'marginals' || kind === 'l1Scores' || kind === 'conditionalL1Scores' || kind === 'pairDependenceScores';
}

/**
 * A rough size of a counted query's work on `rows` rows: rows x attribute sets counted, plus, for a
 * model-carrying query, the model's cells once per candidate (each reference is a projection of it).
 * 0 for the other kinds.
 */
export function countedQueryWork(query: LocalQuery, rows: number): number {
  switch (query.kind) {
    case 'marginals':
      return rows * query.attrSets.length;
    case 'l1Scores':
    case 'pairDependenceScores':
      return rows * query.candidates.length;
    case 'conditionalL1Scores':
      return (rows + (query.model !== undefined ? snapshotCells(query.model) : 0)) * query.candidates.length;
    default:
      return 0;
  }
}

/**
 * Below this much work (countedQueryWork) a query is answered on the calling thread: milliseconds,
 * less than handing it to a worker (and a worker's first start, seconds). AIM's rounds at 1e5 rows x
 * 40 columns are 1e7-1e9.
 */
export const DEFAULT_MIN_THREAD_WORK = 1_000_000;

/**
 * Validates and answers counted LocalQueries off the event loop. The worker decodes the encoded
 * query itself, validates it (for a model-carrying query: rebuilds the model) and runs exactly
 * `evaluateLocalQuery` (pure and deterministic: the same vector bit for bit as on the main thread).
 * Rows in a data engine stay behind the main thread's MarginalSource, which the worker asks for row
 * counts and marginal counts by message (the engine works asynchronously, its rows streamed in
 * batches); rows held in memory (also behind a CachingMarginalSource) are copied to the worker once
 * and counted there.
 * Noise is not drawn here: the caller adds it, as before. One worker, started on first use and kept
 * (rounds come one at a time); unref'd, ended by stop(). Without a worker script (sources run
 * without a TypeScript loader) everything runs inline.
 */
export class LocalQueryThread {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, Job>();
  private nextJob = 0;
  private stopped = false;
  /** In-memory tables by source, and those the current worker already holds. */
  private readonly tableIds = new WeakMap<MarginalSource, number>();
  private nextTable = 0;
  private sentTables = new Set<number>();

  /** `minWork`: below it, `wants` says no (tests pass 0 to send every counted query to the worker). */
  constructor(private readonly opts: { readonly minWork?: number } = {}) {}

  /** Whether `query` on `rows` rows is worth the worker: a counted kind with countedQueryWork at or above `minWork`. */
  wants(query: LocalQuery, rows: number): boolean {
    return isCountedQuery(query.kind) && countedQueryWork(query, rows) >= (this.opts.minWork ?? DEFAULT_MIN_THREAD_WORK);
  }

  /** Decodes and validates `query` for `source` (coded in `domain`); the answer is computed on `answer()`. */
  async prepare(query: Uint8Array, domain: Domain, source: MarginalSource): Promise<Prepared> {
    if (this.stopped) throw new FedsynthError(ErrorCode.Cancelled, 'the agent is stopping: query not evaluated');
    const worker = this.ensureWorker();
    if (worker === undefined) return prepareInline(query, domain, source);
    const job = this.nextJob++;
    this.jobs.set(job, { source });
    const validity = (await this.await(job, worker, { type: 'prepare', job, query, attrs: domain.attrs, shape: domain.shape, ...this.tableOf(source) })) as Exclude<Outcome, Float64Array>;
    if (!validity.valid) return { ok: false, message: validity.message };
    let used = false;
    return {
      ok: true,
      query: {
        answer: () => {
          if (used) throw new FedsynthError(ErrorCode.Internal, 'a prepared query is answered once');
          used = true;
          return this.await(job, worker, { type: 'answer', job }) as Promise<Float64Array>;
        },
        discard: () => {
          if (used) return;
          used = true;
          this.jobs.delete(job);
          if (this.worker === worker) worker.postMessage({ type: 'discard', job } satisfies QueryToWorker);
        },
      },
    };
  }

  /**
   * Rows held in memory (InMemoryMarginalSource) or in a row file (RowFileMarginalSource: the training
   * part after the control split) are counted in the worker, by the same code: counting them here
   * blocked the event loop for a whole selection round (84 s at 1e6 x 40). In-memory columns are
   * copied to the worker once; a row file is reopened there.
   */
  private tableOf(source: MarginalSource): { table?: TableRef } {
    // The agent wraps its counted rows in a cache (startAgent); the worker keeps one of its own.
    const cache = source instanceof CachingMarginalSource ? source : undefined;
    const rows = cache !== undefined ? cache.inner : source;
    if (!(rows instanceof InMemoryMarginalSource) && !(rows instanceof RowFileMarginalSource)) return {};
    let id = this.tableIds.get(source);
    if (id === undefined) {
      id = this.nextTable++;
      this.tableIds.set(source, id);
    }
    const cacheCells = cache !== undefined ? { cacheCells: cache.maxCells } : {};
    if (this.sentTables.has(id)) return { table: { id, ...cacheCells } };
    this.sentTables.add(id);
    if (rows instanceof RowFileMarginalSource) return { table: { id, rowFile: { path: rows.file.path, layout: rows.file.layout, rows: rows.file.rows }, ...cacheCells } };
    return { table: { id, columns: rows.table.columns, ...cacheCells } };
  }

  /** Ends the worker; a query in flight rejects with CANCELLED, later ones are refused. */
  async stop(): Promise<void> {
    this.stopped = true;
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new FedsynthError(ErrorCode.Cancelled, 'query evaluation stopped: the agent is stopping'));
    await w?.terminate();
  }

  private await(job: number, worker: Worker, m: QueryToWorker): Promise<Outcome> {
    const j = this.jobs.get(job);
    if (j === undefined || this.worker !== worker) return Promise.reject(new FedsynthError(ErrorCode.Cancelled, 'the query worker has stopped'));
    return new Promise((resolve, reject) => {
      j.settle = { resolve, reject };
      worker.postMessage(m);
    });
  }

  private ensureWorker(): Worker | undefined {
    if (this.worker !== undefined) return this.worker;
    const script = workerScript(import.meta.url, 'localQueryWorker');
    if (script === undefined) return undefined;
    const worker = new Worker(script.url, { execArgv: script.execArgv });
    worker.unref();
    worker.on('message', (m: QueryToMain) => this.onMessage(worker, m));
    worker.on('error', (e: Error & { code?: string }) => {
      const oom = e.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.lost(worker, new FedsynthError(oom ? ErrorCode.ModelTooLarge : ErrorCode.Internal, oom ? 'the query needs more memory than its worker thread has; the agent is unaffected' : `query worker failed: ${e.message}`));
    });
    worker.on('exit', (code) => this.lost(worker, new FedsynthError(this.stopped ? ErrorCode.Cancelled : ErrorCode.Internal, `query worker exited with code ${code}`)));
    this.worker = worker;
    this.sentTables = new Set();
    return worker;
  }

  /** The worker is gone: its jobs fail, the next query starts a new one. */
  private lost(worker: Worker, e: FedsynthError): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.failAll(e);
  }

  private failAll(e: FedsynthError): void {
    for (const j of this.jobs.values()) j.settle?.reject(e);
    this.jobs.clear();
  }

  private onMessage(worker: Worker, m: QueryToMain): void {
    const job = this.jobs.get(m.job);
    if (job === undefined) return;
    const settle = job.settle;
    switch (m.type) {
      case 'prepared':
        job.settle = undefined;
        settle?.resolve({ valid: true });
        return;
      case 'invalid':
        this.jobs.delete(m.job);
        settle?.resolve({ valid: false, message: m.message });
        return;
      case 'done':
        this.jobs.delete(m.job);
        settle?.resolve(m.exact);
        return;
      case 'failed':
        this.jobs.delete(m.job);
        // An unexpected error stays an unexpected one (RoundDispatcher refuses it as INTERNAL without its text).
        settle?.reject(m.known ? new FedsynthError(m.code as Code, m.message) : new Error(m.message));
        return;
      case 'rowCount':
      case 'marginals':
        void this.answerSource(worker, job.source, m);
        return;
    }
  }

  /** Asks the party's source on the worker's behalf; the counts are transferred, not copied. */
  private async answerSource(worker: Worker, source: MarginalSource, m: Extract<QueryToMain, { type: 'rowCount' | 'marginals' }>): Promise<void> {
    let reply: QueryToWorker;
    let transfer: ArrayBuffer[] = [];
    try {
      if (m.type === 'rowCount') reply = { type: 'source', request: m.request, rowCount: await source.rowCount() };
      else {
        const counts = await source.marginals(m.attrSets);
        reply = { type: 'source', request: m.request, counts };
        transfer = wholeBuffers(counts);
      }
    } catch (e) {
      reply = { type: 'source', request: m.request, code: isFedsynthError(e) ? e.code : ErrorCode.Internal, message: (e as Error)?.message ?? String(e) };
    }
    if (this.worker === worker) worker.postMessage(reply, transfer);
  }
}

/** The main-thread path (no worker script): the same decode, validation and evaluation. */
function prepareInline(bytes: Uint8Array, domain: Domain, source: MarginalSource): Prepared {
  let query: LocalQuery;
  try {
    query = decodeLocalQuery(bytes, domain);
    validateLocalQuery(query, domain);
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
  return { ok: true, query: { answer: () => evaluateLocalQuery(query, source, domain), discard: () => undefined } };
}

/** The distinct buffers wholly owned by one of `arrays` (a buffer shared or only partly viewed is copied instead). */
function wholeBuffers(arrays: readonly Float64Array[]): ArrayBuffer[] {
  const count = new Map<ArrayBufferLike, number>();
  for (const a of arrays) count.set(a.buffer, (count.get(a.buffer) ?? 0) + 1);
  return arrays.filter((a) => count.get(a.buffer) === 1 && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength && a.buffer instanceof ArrayBuffer).map((a) => a.buffer as ArrayBuffer);
}
