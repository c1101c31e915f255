// The round computation off the event loop (issue 15, 1e6 x 40): the ComputeHandler with the real data
// engine (a CSV silo in DuckDB) answers bit for bit as on the main thread, while a timer keeps firing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import type { ModelSnapshot } from '../../shared/pgm/ModelSnapshot.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformInt } from '../../shared/dp/random/uniform.js';
import { planDistributedDiscreteGaussian } from '../../shared/dp/mechanisms/distributedDiscreteGaussian.js';
import { localQueryLength, localQuerySensitivity, type LocalQuery } from '../../shared/synth/LocalQuery.js';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { EncodedTable, allocColumn } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { CachingMarginalSource } from '../../shared/data/CachingMarginalSource.js';
import { CodeRowFile } from '../data/CodeRowFile.js';
import { RowFileMarginalSource } from '../data/RowFileMarginalSource.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { encodeLocalQuery } from '../../platform/wire/localQueryWire.js';
import { silentLogger } from '../../platform/logging/logging.js';
import { openSource } from '../data/openSource.js';
import { AgentStore } from '../state/AgentStore.js';
import { handleCompute } from './ComputeHandler.js';
import type { ApprovedStudy, ComputeContext } from './ComputeContext.js';
import { LocalQueryThread, countedQueryWork, DEFAULT_MIN_THREAD_WORK } from './LocalQueryThread.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-query-thread-'));
// Ten columns of 40 values; a chain model over them (cliques of three neighbours, 64,000 cells each).
const attrs = Array.from({ length: 10 }, (_, i) => `a${i}`);
const domain = new Domain(attrs, attrs.map(() => 40));
const ROWS = 5_000;
const study: ApprovedStudy = { studyId: 'loop', studyRho: 100, colluders: 0, dropouts: 0, maxSilosPerIndividual: 1, parties: ['p'], aggregation: 'plain' };
let source: MarginalSource & { close(): Promise<void> };
const threads: LocalQueryThread[] = [];
const stores: AgentStore[] = [];

/** A valid model snapshot: the chain junction tree, positive random clique marginals (calibration is irrelevant here). */
function chainModel(): ModelSnapshot {
  const rng = seededRandomSource('query-thread', 'model');
  const cliques = attrs.slice(0, -2).map((a, i) => [a, attrs[i + 1], attrs[i + 2]]);
  return {
    cliques,
    edges: cliques.slice(1).map((_, i) => [i, i + 1] as [number, number]),
    total: ROWS,
    marginals: cliques.map((c) => Float64Array.from({ length: domain.size(c) }, () => 1 + uniformInt(rng, 1000))),
  };
}

/** handleCompute's context on the silo; `thread` = the query thread (absent: everything on the main thread, the old path). */
function context(name: string, thread: LocalQueryThread | undefined, charges: string[] = [], rows: MarginalSource = source): ComputeContext {
  const store = new AgentStore(join(root, `${name}.sqlite`));
  stores.push(store);
  if (thread) threads.push(thread);
  return {
    domain,
    source: rows,
    store,
    ledger: { charge: (r) => void charges.push(r.idempotencyKey) },
    noiseRng: seededRandomSource('query-thread', 'noise'), // every context draws the same noise
    log: silentLogger(),
    ...(thread ? { queries: thread } : {}),
  };
}

function stage(query: LocalQuery, chargeKey: string): ComputeStage {
  const rho = 0.5;
  const plan = planDistributedDiscreteGaussian({ rho, l2Sensitivity: localQuerySensitivity(query), parties: 1, colluders: 0, dropouts: 0 });
  const bytes = encodeLocalQuery(query, domain);
  return { rho, perPartySigma2: plan.perPartySigma2, chargeKey, label: chargeKey, vectorLength: localQueryLength(query, domain), aggregation: 'plain', participants: ['p'], threshold: 1, modulusBits: 32, hePublicKey: new Uint8Array(0), neighbours: 0, maxChunkBytes: 0, query: bytes, queryChunkCount: 0, querySha256: new Uint8Array(0) };
}

/** The largest gap between firings of a 10 ms interval timer on this thread while `work` runs, in ms. */
async function largestTimerGap(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let largest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    largest = Math.max(largest, now - last);
    last = now;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(largest, performance.now() - last);
}

beforeAll(async () => {
  const rng = seededRandomSource('query-thread', 'silo');
  const lines = [attrs.join(',')];
  for (let r = 0; r < ROWS; r++) lines.push(attrs.map(() => uniformInt(rng, 40)).join(','));
  writeFileSync(join(root, 'silo.csv'), lines.join('\n') + '\n');
  const schema = parseSchema({ version: 1, columns: attrs.map((name) => ({ name, type: 'categorical', categories: Array.from({ length: 40 }, (_, k) => String(k)) })) });
  const s = await openSource({ kind: 'csv', path: join(root, 'silo.csv'), delimiter: ',', ignoreExtraColumns: false }, schema);
  await s.validate();
  source = s;
});

afterAll(async () => {
  for (const t of threads) await t.stop();
  for (const s of stores) s.close();
  await source?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('LocalQueryThread (the agent counts and scores a round off its event loop)', () => {
  it('releases the same noisy vectors bit for bit as the main-thread path, for every counted kind', async () => {
    const model = chainModel();
    const queries: LocalQuery[] = [
      { kind: 'marginals', attrSets: [['a0'], ['a1', 'a2'], ['a3', 'a5', 'a9']] },
      { kind: 'l1Scores', candidates: [['a0', 'a4'], ['a1', 'a2', 'a3']], oneWays: attrs.map((_, i) => Array.from({ length: 40 }, (_, k) => 1 + ((k * (i + 3)) % 7))), samplingCorrection: true },
      { kind: 'conditionalL1Scores', candidates: [['a0'], ['a2', 'a3'], ['a4', 'a7']], conditions: [['a1'], ['a4'], ['a9']], model, samplingCorrection: true },
      { kind: 'pairDependenceScores', candidates: [['a0', 'a1'], ['a2', 'a8']], samplingCorrection: true },
    ];
    const main = context('equal-main', undefined);
    const thread = context('equal-thread', new LocalQueryThread({ minWork: 0 }));
    for (const [k, q] of queries.entries()) {
      const a = await handleCompute(main, study, `r${k}`, stage(q, `loop/q${k}`));
      const b = await handleCompute(thread, study, `r${k}`, stage(q, `loop/q${k}`));
      expect(Buffer.from(b.noisy).equals(Buffer.from(a.noisy)), q.kind).toBe(true);
      expect(b.elementBits).toBe(a.elementBits);
    }
  });

  /**
   * A bound on blocking, not a timing of speed: the candidate a0,a1 | a8,a9 needs a projection of the
   * model across the whole chain (variable elimination onto 40^4 = 2.56M cells: ~2 CPU s on this
   * 2-core machine, one synchronous step that EventLoopSlices cannot cut). On the main thread (the
   * planted fault: no query thread) the timer waits that long; the coordinator's heartbeat window is 20 s.
   */
  it('keeps a timer on the main thread firing (largest gap under 1 s) while a heavy selection query is scored', async () => {
    const query: LocalQuery = { kind: 'conditionalL1Scores', candidates: [['a0', 'a1'], ['a2']], conditions: [['a8', 'a9'], ['a3']], model: chainModel() };
    const ctx = context('loop', new LocalQueryThread({ minWork: 0 }));
    const gap = await largestTimerGap(() => handleCompute(ctx, study, 'heavy', stage(query, 'loop/heavy')));
    expect(gap).toBeLessThan(1000);
  }, 600_000);

  /**
   * An agent that holds back a control sample counts its training rows from a row file
   * (ControlHoldout: a RowFileMarginalSource, every set counted per block of 65,536 rows), an in-memory
   * agent from an InMemoryMarginalSource, both behind startAgent's CachingMarginalSource: one
   * synchronous countMarginals per block or per query. 1,000,000 rows x 120 three-way sets here (~2
   * CPU s on this machine; 84 s of blocked event loop at 1e6 x 40 before the rows were counted in the
   * worker). The planted fault: no query thread (or the cache not looked through: a 22.3 s gap).
   */
  it.each(['memory', 'row file'])('counts rows held in %s on the query thread too (largest timer gap under 1 s)', async (kind) => {
    const n = 1_000_000;
    let x = 12345;
    const columns = attrs.map(() => {
      const col = allocColumn(40, n);
      for (let i = 0; i < n; i++) col[i] = (x = (x * 1103515245 + 12345) >>> 0) % 40;
      return col;
    });
    const table = new EncodedTable(domain, columns);
    let file: CodeRowFile | undefined;
    if (kind === 'row file') {
      const w = CodeRowFile.create(join(root, 'train.rows'), domain.shape, attrs.map(() => false));
      for (let r = 0; r < n; r++) w.push(columns, [], r);
      file = w.close();
    }
    // As startAgent wraps the counted rows: a cache over the training part.
    const rows = (): MarginalSource => new CachingMarginalSource(file ? new RowFileMarginalSource(file, domain) : new InMemoryMarginalSource(table));
    const triples = attrs.flatMap((a, i) => attrs.slice(i + 1).flatMap((b, j) => attrs.slice(i + j + 2).map((c) => [a, b, c])));
    const query: LocalQuery = { kind: 'l1Scores', candidates: triples, oneWays: attrs.map(() => Array.from({ length: 40 }, () => 1)) };
    const thread = new LocalQueryThread({ minWork: 0 });
    const main = await handleCompute(context(`${kind}-main`, undefined, [], rows()), study, 'memory', stage(query, 'loop/memory'));
    const memory = rows();
    const gap = await largestTimerGap(() => handleCompute(context(`${kind}-thread`, thread, [], memory), study, 'memory', stage(query, 'loop/memory')));
    expect(gap).toBeLessThan(1000);
    // The same noisy release (same seeded noise) as counted on the main thread, also from the worker's cache.
    const again = await handleCompute(context(`${kind}-again`, thread, [], memory), study, 'memory', stage(query, 'loop/memory'));
    expect(Buffer.from(again.noisy).equals(Buffer.from(main.noisy))).toBe(true);
    expect(table.rowCount).toBe(n);
  }, 600_000);

  it('refuses an invalid model found on the query thread before charging the ledger', async () => {
    const model = chainModel();
    const bad: ModelSnapshot = { ...model, marginals: model.marginals.map((m, i) => (i === 2 ? m.map((v, k) => (k === 5 ? -1 : v)) : m)) };
    const charges: string[] = [];
    const ctx = context('invalid', new LocalQueryThread({ minWork: 0 }), charges);
    const q: LocalQuery = { kind: 'conditionalL1Scores', candidates: [['a0']], conditions: [['a1']], model: bad };
    await expect(handleCompute(ctx, study, 'bad', stage(q, 'loop/bad'))).rejects.toSatisfy((e: unknown) => e instanceof FedsynthError && e.code === ErrorCode.ProtocolViolation && /non-negative/.test(e.message));
    expect(charges).toEqual([]);
  });

  it('answers small queries on the calling thread by default (a worker costs more than they do)', () => {
    const thread = new LocalQueryThread();
    const small: LocalQuery = { kind: 'marginals', attrSets: [['a0'], ['a1', 'a2']] };
    expect(thread.wants(small, ROWS)).toBe(false);
    expect(thread.wants(small, DEFAULT_MIN_THREAD_WORK / 2)).toBe(true);
    const model = chainModel();
    expect(countedQueryWork({ kind: 'conditionalL1Scores', candidates: [['a0']], conditions: [['a1']], model }, ROWS)).toBe(ROWS + 8 * 64_000);
    expect(thread.wants({ kind: 'riskCounts' } as unknown as LocalQuery, 1e9)).toBe(false);
  });

  it('hands a data source error back with its code, and refuses work once stopped', async () => {
    const thread = new LocalQueryThread({ minWork: 0 });
    threads.push(thread);
    const failing: MarginalSource = {
      rowCount: async () => ROWS,
      marginals: async () => {
        throw new FedsynthError(ErrorCode.InvalidData, 'silo.csv: the data changed');
      },
      close: async () => undefined,
    };
    const p = await thread.prepare(encodeLocalQuery({ kind: 'marginals', attrSets: [['a0']] }, domain), domain, failing);
    if (!p.ok) throw new Error(p.message);
    await expect(p.query.answer()).rejects.toSatisfy((e: unknown) => e instanceof FedsynthError && e.code === ErrorCode.InvalidData && /data changed/.test(e.message));
    await thread.stop();
    await expect(thread.prepare(encodeLocalQuery({ kind: 'marginals', attrSets: [['a0']] }, domain), domain, source)).rejects.toSatisfy((e: unknown) => e instanceof FedsynthError && e.code === ErrorCode.Cancelled);
  });
});
