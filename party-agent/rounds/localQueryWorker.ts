// localQueryWorker: the worker-thread side of LocalQueryThread — decodes and validates a round's query,
// then runs evaluateLocalQuery, asking the main thread's data source for counts by message.
import { parentPort } from 'node:worker_threads';
import { ErrorCode, FedsynthError, isFedsynthError, type ErrorCode as Code } from '../../shared/errors/FedsynthError.js';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { CachingMarginalSource } from '../../shared/data/CachingMarginalSource.js';
import { RowFileMarginalSource } from '../data/RowFileMarginalSource.js';
import { CodeRowFile } from '../data/CodeRowFile.js';
import { evaluateLocalQuery } from '../../shared/synth/evaluateLocalQuery.js';
import { validateLocalQuery, type LocalQuery } from '../../shared/synth/LocalQuery.js';
import { decodeLocalQuery } from '../../platform/wire/localQueryWire.js';
import type { QueryToMain, QueryToWorker } from './LocalQueryThread.js';

type SourceReply = Extract<QueryToWorker, { type: 'source' }>;

const port = parentPort!;
const send = (m: QueryToMain, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);
/** Validated queries waiting for `answer` (the same objects: the model rebuilt once, memoized per snapshot). */
const prepared = new Map<number, { query: LocalQuery; domain: Domain; source: MarginalSource }>();
/** The in-memory tables of the main thread's sources, by id (sent once). */
const tables = new Map<number, MarginalSource>();
const waiting = new Map<number, (m: SourceReply) => void>();
let nextRequest = 0;

/** The party's rows as the main thread's MarginalSource answers them. */
class SourceOnMainThread implements MarginalSource {
  constructor(private readonly job: number) {}

  async rowCount(): Promise<number> {
    return (await this.ask((request) => ({ type: 'rowCount', job: this.job, request }))).rowCount!;
  }

  async marginals(attrSets: readonly (readonly string[])[]): Promise<Float64Array[]> {
    return (await this.ask((request) => ({ type: 'marginals', job: this.job, request, attrSets: attrSets.map((s) => [...s]) }))).counts!;
  }

  async close(): Promise<void> {}

  private async ask(message: (request: number) => QueryToMain): Promise<SourceReply> {
    const request = nextRequest++;
    const reply = await new Promise<SourceReply>((resolve) => {
      waiting.set(request, resolve);
      send(message(request));
    });
    if (reply.code !== undefined) throw new FedsynthError(reply.code as Code, reply.message ?? 'the data source failed');
    return reply;
  }
}

function prepare(m: Extract<QueryToWorker, { type: 'prepare' }>): void {
  try {
    const domain = new Domain(m.attrs, m.shape);
    if (m.table?.columns !== undefined || m.table?.rowFile !== undefined) {
      const f = m.table.rowFile;
      const rows = f !== undefined ? new RowFileMarginalSource(new CodeRowFile(f.path, f.layout, f.rows), domain) : new InMemoryMarginalSource(new EncodedTable(domain, m.table.columns!));
      tables.set(m.table.id, m.table.cacheCells !== undefined ? new CachingMarginalSource(rows, m.table.cacheCells) : rows);
    }
    const source = m.table !== undefined ? tables.get(m.table.id) : new SourceOnMainThread(m.job);
    if (source === undefined) throw new FedsynthError(ErrorCode.Internal, `table ${m.table?.id} was never sent to the query worker`);
    const query = decodeLocalQuery(m.query, domain);
    validateLocalQuery(query, domain);
    prepared.set(m.job, { query, domain, source });
    send({ type: 'prepared', job: m.job });
  } catch (e) {
    send({ type: 'invalid', job: m.job, message: (e as Error)?.message ?? String(e) });
  }
}

async function answer(job: number): Promise<void> {
  const p = prepared.get(job);
  prepared.delete(job);
  try {
    if (p === undefined) throw new FedsynthError(ErrorCode.Internal, `no prepared query ${job}`);
    const exact = await evaluateLocalQuery(p.query, p.source, p.domain);
    send({ type: 'done', job, exact }, [exact.buffer as ArrayBuffer]);
  } catch (e) {
    const known = isFedsynthError(e);
    send({ type: 'failed', job, code: known ? e.code : ErrorCode.Internal, known, message: (e as Error)?.message ?? String(e) });
  }
}

port.on('message', (m: QueryToWorker) => {
  switch (m.type) {
    case 'prepare':
      return prepare(m);
    case 'answer':
      return void answer(m.job);
    case 'discard':
      prepared.delete(m.job);
      return;
    case 'source': {
      const resolve = waiting.get(m.request);
      waiting.delete(m.request);
      resolve?.(m);
      return;
    }
  }
});
