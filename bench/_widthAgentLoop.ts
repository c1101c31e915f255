// bench/_widthAgentLoop: how long the largest agent's event loop is blocked per release of a recorded
// bench/width run (BENCH_WIDTH_KEEP=1), with the agent's real data engine (its rows as a CSV silo in DuckDB).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Domain } from '../shared/pgm/Domain.js';
import { allocColumn } from '../shared/data/EncodedTable.js';
import { parseSchema } from '../shared/schema/ConsortiumSchema.js';
import { decodeLocalQuery } from '../platform/wire/localQueryWire.js';
import { localQueryLength, localQuerySensitivity } from '../shared/synth/LocalQuery.js';
import { planDistributedDiscreteGaussian } from '../shared/dp/mechanisms/distributedDiscreteGaussian.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { silentLogger } from '../platform/logging/logging.js';
import { openSource } from '../party-agent/data/openSource.js';
import { AgentStore } from '../party-agent/state/AgentStore.js';
import { handleCompute } from '../party-agent/rounds/ComputeHandler.js';
import type { ApprovedStudy } from '../party-agent/rounds/ComputeContext.js';
import { LocalQueryThread } from '../party-agent/rounds/LocalQueryThread.js';
import { EventLoopDelayWatch } from '../party-agent/metrics/EventLoopDelayWatch.js';
import type { ReplayMeta } from './_widthReplay.js';

/** Writes the recorded largest party's rows (c_J.bin) as a CSV of codes, once. */
function writeSilo(dir: string, meta: ReplayMeta): string {
  const path = join(dir, 'silo.csv');
  if (existsSync(path)) return path;
  const cols = meta.shape.map((s, j) => {
    const col = allocColumn(s, meta.partyRows);
    new Uint8Array(col.buffer, col.byteOffset, col.byteLength).set(readFileSync(join(dir, `c_${j}.bin`)));
    return col;
  });
  const lines = [meta.attrs.join(',')];
  for (let i = 0; i < meta.partyRows; i++) lines.push(cols.map((c) => c[i]).join(','));
  writeFileSync(path, lines.join('\n') + '\n');
  return path;
}

/**
 * `node dist/bench/_widthAgentLoop.js DIR inline|thread [K,K..]`: replays every recorded query through
 * the agent's ComputeHandler (handleCompute: validation, charge, counting, its seeded noise), the query
 * validated and counted on the main thread (`inline`, the path before LocalQueryThread) or on the
 * query thread (`thread`), and prints per release the largest event-loop delay, wall and CPU seconds
 * (all threads) and the noisy vector's SHA-256 (equal across modes); K,K.. replays only those releases.
 */
async function main(): Promise<void> {
  const [dir, mode, only] = process.argv.slice(2);
  const releases = only === undefined ? undefined : new Set(only.split(',').map(Number));
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ReplayMeta;
  const domain = new Domain([...meta.attrs], [...meta.shape]);
  const schema = parseSchema({ version: 1, columns: meta.attrs.map((name, i) => ({ name, type: 'categorical', categories: Array.from({ length: meta.shape[i] }, (_, k) => String(k)) })) });
  const source = await openSource({ kind: 'csv', path: writeSilo(dir, meta), delimiter: ',', ignoreExtraColumns: false }, schema);
  await source.validate();
  const thread = new LocalQueryThread();
  const state = mkdtempSync(join(tmpdir(), 'fedsynth-agent-loop-'));
  const store = new AgentStore(join(state, 'agent.sqlite'));
  const study: ApprovedStudy = { studyId: 'loop', studyRho: 1e9, colluders: 0, dropouts: 0, maxSilosPerIndividual: 1, parties: ['p'], aggregation: 'plain' };
  const ctx = { domain, source, store, ledger: { charge: () => undefined }, noiseRng: seededRandomSource('loop', 'noise'), log: silentLogger(), ...(mode === 'thread' ? { queries: thread } : {}) };
  const out: Record<string, unknown>[] = [];
  try {
    for (let k = 0; k < meta.releases.length; k++) {
      if (releases !== undefined && !releases.has(k)) continue;
      const bytes = readFileSync(join(dir, `q_${k}.bin`));
      const query = decodeLocalQuery(bytes, domain);
      const rho = 0.01;
      const plan = planDistributedDiscreteGaussian({ rho, l2Sensitivity: localQuerySensitivity(query), parties: 1, colluders: 0, dropouts: 0 });
      const stage = { rho, perPartySigma2: plan.perPartySigma2, chargeKey: `loop/${k}`, label: `r${k}`, vectorLength: localQueryLength(query, domain), aggregation: 'plain' as const, participants: ['p'], threshold: 1, modulusBits: 32, hePublicKey: new Uint8Array(0), neighbours: 0, maxChunkBytes: 0, query: bytes, queryChunkCount: 0, querySha256: new Uint8Array(0) };
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const watch = new EventLoopDelayWatch();
      const noisy = await handleCompute(ctx, study, `round-${k}`, stage);
      const maxDelay = watch.stop();
      const cpu = process.cpuUsage(cpu0);
      out.push({
        release: k,
        kind: query.kind,
        cells: stage.vectorLength,
        maxEventLoopDelayMs: Math.round(maxDelay * 1000),
        wallSeconds: Math.round((performance.now() - t0) / 100) / 10,
        cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
        sha256: createHash('sha256').update(noisy.noisy).digest('hex').slice(0, 16),
      });
      process.stderr.write(JSON.stringify(out[out.length - 1]) + '\n');
    }
  } finally {
    await thread.stop();
    await source.close();
    store.close();
    rmSync(state, { recursive: true, force: true });
  }
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ mode, partyRows: meta.partyRows, cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10, releases: out }) + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
