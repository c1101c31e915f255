// bench/_afterFit: the coordinator's steps after the fit on a synthetic.csv of N rows (Parquet, the
// signed manifest, the report, delivery to five parties, reading the file back) with VmHWM per step.
//
//   node dist/bench/_afterFit.js gen DIR ROWS [COLUMNS]   writes DIR/synthetic.csv as the coordinator does
//   node dist/bench/_afterFit.js run DIR                  runs the steps in this (fresh) process
//
// AFTER_FIT_FRAME_MS: each delivery frame's delay (default 20); AFTER_FIT_READ_ROWS: the read pass's
// chunk rows (default READ_CHUNK_ROWS); AFTER_FIT_POOLED=1 adds the pooled risk pass's family search.
//
// Each `run` line is one step: VmHWM and VmRSS of /proc/self/status after it, and process.memoryUsage.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpuSeconds, procStatus, resetPeak } from './_procMemory.js';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { Domain } from '../shared/pgm/Domain.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { parseSchema } from '../shared/schema/ConsortiumSchema.js';
import { SyntheticCsvWriter } from '../coordinator/delivery/SyntheticCsvWriter.js';
import { writeParquet } from '../coordinator/delivery/ParquetWriter.js';
import { writeSignedManifest } from '../coordinator/delivery/SignedManifest.js';
import { writeConsortiumReport } from '../coordinator/delivery/ConsortiumReport.js';
import { signConsortiumReport } from '../coordinator/delivery/signConsortiumReport.js';
import { deliverOutputs } from '../coordinator/delivery/OutputDelivery.js';
import { MeasuredMarginalTally } from '../shared/eval/MeasuredMarginalTally.js';
import { AgentSession } from '../coordinator/gateway/AgentSession.js';
import { CoordinatorMessage, type AgentMessage } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { READ_CHUNK_ROWS, syntheticCsvChunks } from '../platform/delivery/syntheticCsvChunks.js';
import { countChunkRows } from '../shared/eval/RowChunks.js';
import { pooledSinglingOutFamilies } from '../shared/eval/risk/pooledSinglingOut.js';
import { defaultSubgroupColumns } from '../shared/eval/subgroupFidelity.js';
import { fileSha256 } from '../platform/delivery/fileSha256.js';
import type { CoordinatorStore } from '../coordinator/store/CoordinatorStore.js';
import type { AgentGateway } from '../coordinator/gateway/AgentGateway.js';
import { SAMPLE_CHUNK_ROWS } from '../shared/synth/sampleInChunks.js';

/** The bench/width domain shape: COLUMNS columns of 2-16 codes. */
function domainOf(columns: number): Domain {
  return new Domain(
    Array.from({ length: columns }, (_, i) => `c${i}`),
    Array.from({ length: columns }, (_, i) => 2 + ((i * 7) % 15)),
  );
}

/** bench/_widthProcesses' schema: categorical columns labelled by their codes. */
function codeSchemaJson(d: Domain): string {
  return JSON.stringify({ version: 1, columns: d.attrs.map((name, i) => ({ name, type: 'categorical', categories: Array.from({ length: d.shape[i] }, (_, k) => String(k)) })) });
}

function line(step: string, extra: Record<string, unknown> = {}): void {
  const m = process.memoryUsage();
  const mb = (x: number) => Math.round(x / 2 ** 20);
  process.stdout.write(JSON.stringify({ step, ...procStatus(), heapUsedMB: mb(m.heapUsed), externalMB: mb(m.external), arrayBuffersMB: mb(m.arrayBuffers), cpuSeconds: cpuSeconds(), ...extra }) + '\n');
  resetPeak();
}

function gen(dir: string, rows: number, columns: number): void {
  const d = domainOf(columns);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'schema.json'), codeSchemaJson(d));
  const w = new SyntheticCsvWriter(dir, d, parseSchema(JSON.parse(codeSchemaJson(d))), 'after-fit');
  const rng = seededRandomSource('after-fit', 'rows');
  for (let start = 0; start < rows; start += SAMPLE_CHUNK_ROWS) {
    const n = Math.min(SAMPLE_CHUNK_ROWS, rows - start);
    w.write(d.shape.map((s) => Int32Array.from({ length: n }, () => uniformInt(rng, s))));
  }
  w.finish();
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ rows, columns }));
}

/**
 * A party's stream as grpc-js builds it: an object-mode Writable (high-water mark 16 messages) whose
 * write serializes the message and completes `delayMs` later (the network and the party's reading).
 */
function partyStream(delayMs: number): grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage> {
  const w = new Writable({
    objectMode: true,
    write(msg: CoordinatorMessage, _enc, cb) {
      const bytes = CoordinatorMessage.encode(msg).finish();
      setTimeout(() => cb(bytes.length > 0 ? null : new Error('empty')), delayMs);
    },
  });
  return w as unknown as grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage>;
}

async function run(dir: string): Promise<void> {
  const { rows, columns } = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { rows: number; columns: number };
  const d = domainOf(columns);
  const schema = parseSchema(JSON.parse(readFileSync(join(dir, 'schema.json'), 'utf8')));
  const delayMs = Number(process.env.AFTER_FIT_FRAME_MS ?? '20');
  line('start', { rows, columns, csvMB: Math.round(statSync(join(dir, 'synthetic.csv')).size / 1e6) });
  await writeParquet(join(dir, 'synthetic.csv'), join(dir, 'synthetic.parquet'), d.attrs, schema);
  line('parquet', { parquetMB: Math.round(statSync(join(dir, 'synthetic.parquet')).size / 1e6) });
  writeFileSync(join(dir, 'model.json'), '{}');
  writeFileSync(join(dir, 'run.json'), '{}');
  const { privateKey } = generateKeyPairSync('ed25519');
  const signer = { id: 'coordinator', certificatePem: '', signingKey: privateKey };
  const privacy = { rho: 0.1, epsilon: 1, delta: 1e-9 };
  writeSignedManifest(dir, ['synthetic.csv', 'synthetic.parquet', 'model.json', 'run.json'], { studyId: 'bench', study: {}, privacy }, signer);
  line('manifest');
  const spec = { studyId: 'bench', title: 'after fit', mechanism: 'aim', aggregation: 'masking' } as unknown as Parameters<typeof writeConsortiumReport>[0]['spec'];
  writeConsortiumReport({ dir, spec, domain: d, synthetic: new MeasuredMarginalTally(d.attrs, d.shape, []), notScored: 0, privacy, parties: [], accounts: [] });
  signConsortiumReport(dir, { studyId: 'bench', study: {}, privacy }, signer);
  line('report');
  const parties = ['party-1', 'party-2', 'party-3', 'party-4', 'party-5'];
  const sessions = new Map(parties.map((p) => [p, new AgentSession(p, new Uint8Array(), partyStream(delayMs))]));
  const gateway = { session: (p: string) => sessions.get(p) } as unknown as AgentGateway;
  const store = { deliveryAcks: () => [] } as unknown as CoordinatorStore;
  const deps = { store, gateway, log: pino({ level: 'silent' }), audit: () => undefined };
  await Promise.all(parties.map((p) => deliverOutputs(deps, dir, 'bench', p)));
  line('delivery', { frameMs: delayMs });
  // One pass reading synthetic.csv back in chunks (the pooled risk pass's and the agents' reader).
  const readRows = process.env.AFTER_FIT_READ_ROWS ? { chunkRows: Number(process.env.AFTER_FIT_READ_ROWS) } : {};
  const read = countChunkRows(syntheticCsvChunks(join(dir, 'synthetic.csv'), { columns: d.attrs, sizes: d.shape, schema, ...readRows }));
  line('read-pass', { rows: read, chunkRows: readRows.chunkRows ?? READ_CHUNK_ROWS });
  if (process.env.AFTER_FIT_POOLED === '1') {
    fileSha256(join(dir, 'synthetic.csv'));
    const synth = syntheticCsvChunks(join(dir, 'synthetic.csv'), { columns: d.attrs, sizes: d.shape, schema });
    defaultSubgroupColumns(synth.sizes, schema.columns.map((c) => c.type === 'categorical'));
    const families = pooledSinglingOutFamilies(synth, 'pooled/bench');
    line('pooled-reads', { families: families.length });
  }
}

const [mode, dir, n, cols] = process.argv.slice(2);
if (mode === 'gen' && dir && n) gen(dir, Number(n), Number(cols ?? '40'));
else if (mode === 'run' && dir) await run(dir);
else {
  process.stderr.write('usage: _afterFit gen DIR ROWS [COLUMNS] | run DIR\n');
  process.exit(2);
}
