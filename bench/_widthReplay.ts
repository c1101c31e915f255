// bench/_widthReplay: bench/width's per-process memory figures. Replays one recorded run as the
// coordinator alone (no party data) or as its largest agent alone (its rows and the sent queries).
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable, allocColumn } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { FedsynthError, ErrorCode } from '../shared/errors/FedsynthError.js';
import type { FederatedOracle, SecureSumResult } from '../shared/synth/FederatedOracle.js';
import { measureBySecureSum } from '../shared/synth/FederatedOracle.js';
import type { LocalQuery } from '../shared/synth/LocalQuery.js';
import { evaluateLocalQuery } from '../shared/synth/evaluateLocalQuery.js';
import { mst } from '../shared/synth/Mst.js';
import { aim } from '../shared/synth/Aim.js';
import { decodeLocalQuery, encodeLocalQuery } from '../platform/wire/localQueryWire.js';
import { sampleInChunks } from '../shared/synth/sampleInChunks.js';
import { encodeCsvHeader, encodeCsvRows } from '../shared/data/encodeCsv.js';

/** What bench/width writes for a replay (meta.json; q_K.bin query bytes, r_K.bin answers, c_J.bin the largest party's columns). */
export interface ReplayMeta {
  readonly attrs: readonly string[];
  readonly shape: readonly number[];
  readonly mechanism: 'mst' | 'aim';
  readonly rho: number;
  readonly seed: string;
  /** AIM's model-size bound when the run set one (BENCH_WIDTH_MODEL_MB). */
  readonly maxModelSizeMB?: number;
  readonly sampleRows: number;
  readonly partyRows: number;
  readonly releases: readonly { readonly stddev: number; readonly length: number }[];
}

/** Answers the mechanism's queries from the recording, refusing any query that differs from the recorded bytes. */
class ReplayOracle implements FederatedOracle {
  private next = 0;
  constructor(
    readonly domain: Domain,
    private readonly dir: string,
    private readonly meta: ReplayMeta,
  ) {}
  async secureSum(query: LocalQuery, _rho: number, label: string): Promise<SecureSumResult> {
    const k = this.next++;
    const rec = this.meta.releases[k];
    if (rec === undefined || !Buffer.from(encodeLocalQuery(query, this.domain)).equals(readFileSync(join(this.dir, `q_${k}.bin`)))) {
      throw new FedsynthError(ErrorCode.InvalidArgument, `replay diverged at release ${k} (${label})`);
    }
    const raw = readFileSync(join(this.dir, `r_${k}.bin`));
    const values = new Float64Array(rec.length);
    new Uint8Array(values.buffer).set(raw);
    return { values, stddev: rec.stddev };
  }
  measure(attrSets: readonly (readonly string[])[], rho: number, label: string, recode?: Parameters<FederatedOracle['measure']>[3]) {
    return measureBySecureSum(this, attrSets, rho, label, recode);
  }
}

async function coordinator(dir: string, meta: ReplayMeta, domain: Domain): Promise<void> {
  const oracle = new ReplayOracle(domain, dir, meta);
  const res = meta.mechanism === 'mst' ? await mst(oracle, { rho: meta.rho }) : await aim(oracle, { rho: meta.rho, seed: meta.seed, ...(meta.maxModelSizeMB !== undefined ? { maxModelSizeMB: meta.maxModelSizeMB } : {}) });
  // As the coordinator does (runMechanism, SyntheticCsvWriter): rows drawn and written chunk by chunk.
  const fd = openSync(join(dir, 'synthetic.csv'), 'w');
  try {
    writeSync(fd, encodeCsvHeader(domain.attrs));
    for (const chunk of sampleInChunks(res.sample, meta.sampleRows, seededRandomSource(meta.seed, 'coordinator/sample'))) writeSync(fd, encodeCsvRows(chunk));
  } finally {
    closeSync(fd);
  }
}

async function agent(dir: string, meta: ReplayMeta, domain: Domain): Promise<void> {
  const cols = domain.shape.map((s, j) => {
    const col = allocColumn(s, meta.partyRows);
    const raw = readFileSync(join(dir, `c_${j}.bin`));
    new Uint8Array(col.buffer, col.byteOffset, col.byteLength).set(raw);
    return col;
  });
  const source = new InMemoryMarginalSource(new EncodedTable(domain, cols));
  for (let k = 0; k < meta.releases.length; k++) await evaluateLocalQuery(decodeLocalQuery(readFileSync(join(dir, `q_${k}.bin`)), domain), source, domain);
}

/**
 * This process's own peak RSS: VmHWM of /proc/self/status on Linux. Not resourceUsage().maxRSS: on
 * Linux a child started by fork + exec inherits the parent's high-water mark at the fork in it
 * (bench/width at 1e6 rows reported its own ~850 MB for both replays), while VmHWM belongs to
 * the new address space.
 */
function ownPeakRssMB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux
  }
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function main(): Promise<void> {
  const [role, dir] = process.argv.slice(2);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as ReplayMeta;
  const domain = new Domain([...meta.attrs], [...meta.shape]);
  const t0 = process.hrtime.bigint();
  if (role === 'coordinator') await coordinator(dir, meta, domain);
  else if (role === 'agent') await agent(dir, meta, domain);
  else throw new FedsynthError(ErrorCode.InvalidArgument, `unknown replay role ${role}`);
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ peakRssMB: ownPeakRssMB(), cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10, wallSeconds: Math.round(Number(process.hrtime.bigint() - t0) / 1e8) / 10 }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
