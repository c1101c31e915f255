// bench/width: federated MST and AIM on tables of growing width (generated Bayesian networks, and
// the bundled public tables) through InProcessOracle: TV, share of the gap closed, time, per-process memory, bytes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { uniformInt } from '../shared/dp/random/uniform.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { splitParties, parsePartySplit } from '../shared/data/splitParties.js';
import { shuffleInPlace } from '../shared/data/simulationSamplers.js';
import { InProcessOracle } from '../shared/synth/InProcessOracle.js';
import type { FederatedOracle, SecureSumResult } from '../shared/synth/FederatedOracle.js';
import { measureBySecureSum } from '../shared/synth/FederatedOracle.js';
import type { LocalQuery } from '../shared/synth/LocalQuery.js';
import { mst } from '../shared/synth/Mst.js';
import { aim } from '../shared/synth/Aim.js';
import { sampleInChunks } from '../shared/synth/sampleInChunks.js';
import { makeCodeTable, type CodeTable } from '../shared/eval/CodeTable.js';
import { marginalCells, marginalCounts } from '../shared/eval/marginalCounts.js';
import { tvOfCounts } from '../shared/eval/totalVariation.js';
import { attrSubsets } from '../shared/eval/attrSubsets.js';
import { encodeLocalQuery } from '../platform/wire/localQueryWire.js';
import { benchBayesNet, loadBenchTable } from './_benchTables.js';
import { sampleBayesNet } from '../shared/data/RandomBayesNet.js';
import type { ReplayMeta } from './_widthReplay.js';
import { runProcessCase } from './_widthProcesses.js';
import { structureFigures } from './_aimStructure.js';
import { aimHeterogeneityKnob } from './_aimHeterogeneityKnob.js';
import type { AimHeterogeneity } from '../shared/synth/AimOptions.js';

const DELTA = 1e-9;
/** At most this many 3-way sets are scored; wider tables use a fixed seeded sample of them. */
const MAX_TRIPLES = 3000;

type Emit = (rec: Record<string, unknown>) => void;

/**
 * Counts what crosses the wire per party: each query in (its protobuf bytes, platform/wire) and
 * its answer out (8 bytes an entry: masked int64), without gRPC framing or secure-aggregation keys.
 */
class CountingOracle implements FederatedOracle {
  bytesPerParty = 0;
  releases = 0;
  maxReleaseBytes = 0;
  /** Per release, what the replays need (the query bytes and answers are written to `dir`). */
  readonly recorded: { stddev: number; length: number }[] = [];
  /**
   * Per release: its label, entries, the CPU seconds of the mechanism since the previous release
   * (fitting, pools, batch choice: coordinator work) and of the release itself (every party's
   * evaluation and noise, in this process).
   */
  readonly phases: { label: string; entries: number; coordinatorCpu: number; partiesCpu: number }[] = [];
  /** CPU seconds of this process at the end of the last release (at construction before any). */
  lastReleaseCpu = cpuSeconds();
  constructor(
    private readonly inner: InProcessOracle,
    private readonly dir: string,
  ) {}
  get domain() {
    return this.inner.domain;
  }
  async secureSum(query: LocalQuery, rho: number, label: string): Promise<SecureSumResult> {
    const before = cpuSeconds();
    const res = await this.inner.secureSum(query, rho, label);
    const after = cpuSeconds();
    const r1 = (x: number): number => Math.round(x * 10) / 10;
    this.phases.push({ label, entries: res.values.length, coordinatorCpu: r1(before - this.lastReleaseCpu), partiesCpu: r1(after - before) });
    this.lastReleaseCpu = after;
    const encoded = encodeLocalQuery(query, this.inner.domain);
    const bytes = encoded.byteLength + 8 * res.values.length;
    writeFileSync(join(this.dir, `q_${this.releases}.bin`), encoded);
    writeFileSync(join(this.dir, `r_${this.releases}.bin`), new Uint8Array(res.values.buffer, res.values.byteOffset, res.values.byteLength));
    this.recorded.push({ stddev: res.stddev, length: res.values.length });
    this.bytesPerParty += bytes;
    this.maxReleaseBytes = Math.max(this.maxReleaseBytes, bytes);
    this.releases++;
    return res;
  }
  measure(attrSets: readonly (readonly string[])[], rho: number, label: string, recode?: Parameters<FederatedOracle['measure']>[3]) {
    return measureBySecureSum(this, attrSets, rho, label, recode);
  }
}

/** Chunks of rows (columns each) joined into whole columns. */
function concatChunks(chunks: readonly Int32Array[][], d: number): Int32Array[] {
  return Array.from({ length: d }, (_, j) => {
    const out = new Int32Array(chunks.reduce((a, c) => a + c[j].length, 0));
    let off = 0;
    for (const c of chunks) {
      out.set(c[j], off);
      off += c[j].length;
    }
    return out;
  });
}

/** This process's user + system CPU seconds. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** All sets of `k` columns when there are at most `limit`, else `limit` distinct ones drawn with a seeded PRG. */
export function columnSets(d: number, k: number, limit: number, seed: string): number[][] {
  let count = 1;
  for (let i = 0; i < k; i++) count = (count * (d - i)) / (i + 1);
  if (count <= limit) return attrSubsets(d, k);
  const rng = seededRandomSource(seed, `bench/width/sets/${k}`);
  const seen = new Set<string>();
  const out: number[][] = [];
  while (out.length < limit) {
    const s = new Set<number>();
    while (s.size < k) s.add(uniformInt(rng, d));
    const set = [...s].sort((a, b) => a - b);
    const key = set.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(set);
  }
  return out;
}

/** Average TV over the given column sets. */
export function averageTv(real: CodeTable, synth: CodeTable, sets: readonly number[][]): number {
  let sum = 0;
  for (const s of sets) {
    const cells = marginalCells(real.sizes, s);
    sum += tvOfCounts(marginalCounts(real, s), real.rows, marginalCounts(synth, s), synth.rows, cells);
  }
  return sum / sets.length;
}

/** The two floors: every column shuffled independently (no correlations) and a bootstrap of the rows. */
export function floors(table: EncodedTable, seed: string): { independent: Int32Array[]; bootstrap: Int32Array[] } {
  const rng = seededRandomSource(seed, 'bench/width/floors');
  const n = table.rowCount;
  const independent = table.columns.map((c) => Int32Array.from(shuffleInPlace(Array.from(c), rng)));
  const rows = Array.from({ length: n }, () => uniformInt(rng, n));
  const bootstrap = table.columns.map((c) => Int32Array.from(rows, (r) => c[r]));
  return { independent, bootstrap };
}

/**
 * The fresh-sample ceiling of a generated table (`gen:...`, whose network is known): as many rows as
 * the table, drawn afresh from the generating network. No model that samples rows can beat it in
 * expectation (docs/synthesis.md, "The known-structure ceiling"); undefined for other tables.
 */
export function freshSample(tableName: string, seed: string): Int32Array[] | undefined {
  if (!tableName.startsWith('gen:')) return undefined;
  const { net, rows } = benchBayesNet(tableName);
  return sampleBayesNet(net, rows, seededRandomSource(seed, 'bench/width/fresh')).columns.map((c) => Int32Array.from(c));
}

/** The fields scoring synthetic tv3 `s` against the floors `i`, `b` and the fresh sample's tv3 `f` (if any). */
function gapFields(s: number, i: number, b: number, f: number | undefined): Record<string, unknown> {
  const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
  return {
    independentTv3: round4(i),
    bootstrapTv3: round4(b),
    // (independent − synthetic) / (independent − bootstrap): 1 = as good as a resample of the data.
    gapClosed: round4((i - s) / (i - b)),
    // Generated tables: a fresh sample of the generator, its share of the gap, and the synthetic
    // rows' share relative to it ((independent − synthetic) / (independent − fresh)).
    ...(f === undefined ? {} : { freshTv3: round4(f), freshGapClosed: round4((i - f) / (i - b)), gapClosedOfFresh: round4((i - s) / (i - f)) }),
  };
}

interface WidthCase {
  table: string;
  mechanism: 'mst' | 'aim';
  parties: number;
  split: string;
  epsilon: number;
  seed: string;
}

/** AIM's selection share, epoch count and measurement split from BENCH_WIDTH_SHARE / BENCH_WIDTH_EPOCHS / BENCH_WIDTH_MEASURE_SPLIT / BENCH_WIDTH_PATHS=1 / BENCH_WIDTH_FOREST=1|0 / BENCH_WIDTH_SIGNIF=1|0 / BENCH_WIDTH_MAXWAY_EPOCHS / BENCH_WIDTH_HET=joint|condition|self|none (condition: the default before session 11) (default: AIM's own). */
function aimKnobs(): { selectionShare?: number; epochs?: number; measurementSplit?: 'equal' | 'cells'; pathRedundancy?: boolean; firstBatchForest?: boolean; significantPicks?: boolean; maxWayEpochs?: number; heterogeneity?: AimHeterogeneity } {
  const het = aimHeterogeneityKnob(process.env.BENCH_WIDTH_HET);
  const share = process.env.BENCH_WIDTH_SHARE;
  const epochs = process.env.BENCH_WIDTH_EPOCHS;
  const split = process.env.BENCH_WIDTH_MEASURE_SPLIT;
  return { ...(share ? { selectionShare: Number(share) } : {}), ...(epochs ? { epochs: Number(epochs) } : {}), ...(split === 'cells' || split === 'equal' ? { measurementSplit: split } : {}), ...(process.env.BENCH_WIDTH_PATHS === '1' ? { pathRedundancy: true } : {}), ...(process.env.BENCH_WIDTH_FOREST === '1' || process.env.BENCH_WIDTH_FOREST === '0' ? { firstBatchForest: process.env.BENCH_WIDTH_FOREST === '1' } : {}), ...(process.env.BENCH_WIDTH_SIGNIF === '1' || process.env.BENCH_WIDTH_SIGNIF === '0' ? { significantPicks: process.env.BENCH_WIDTH_SIGNIF === '1' } : {}), ...(process.env.BENCH_WIDTH_MAXWAY_EPOCHS ? { maxWayEpochs: Number(process.env.BENCH_WIDTH_MAXWAY_EPOCHS) } : {}), ...(het !== undefined ? { heterogeneity: het } : {}) };
}

/** The fields naming a case in its record. */
function caseFields(c: WidthCase, table: EncodedTable): Record<string, unknown> {
  return { table: c.table, columns: table.domain.attrs.length, rows: table.rowCount, mechanism: c.mechanism, parties: c.parties, split: c.split, epsilon: c.epsilon, delta: DELTA, seed: c.seed };
}

async function runCase(c: WidthCase, table: EncodedTable, emit: Emit): Promise<void> {
  const domain = table.domain;
  const d = domain.attrs.length;
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const parts = splitParties(table, c.parties, parsePartySplit(c.split), seededRandomSource(c.seed, 'simulate/split'));
  const dir = mkdtempSync(join(tmpdir(), 'fedsynth-width-'));
  const oracle = new CountingOracle(new InProcessOracle({ domain, parties: parts.map((p) => new InMemoryMarginalSource(p)), seed: c.seed }), dir);
  const rho = rhoFromEpsilon(c.epsilon, DELTA);
  const modelMB = process.env.BENCH_WIDTH_MODEL_MB;
  const res = c.mechanism === 'mst' ? await mst(oracle, { rho }) : await aim(oracle, { rho, seed: c.seed, ...(modelMB ? { maxModelSizeMB: Number(modelMB) } : {}), ...aimKnobs() });
  const mechanismEnd = cpuSeconds();
  // The rows the coordinator would write (drawn in chunks, runMechanism), joined here to be scored.
  const cols = concatChunks([...sampleInChunks(res.sample, table.rowCount, seededRandomSource(c.seed, 'coordinator/sample'))], d);
  const sampleCpu = cpuSeconds() - mechanismEnd;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const code = (data: readonly Int32Array[]): CodeTable => makeCodeTable(domain.attrs, domain.shape, data);
  const real = code(table.columns.map((col) => Int32Array.from(col)));
  const f = floors(table, c.seed);
  const sets = [1, 2, 3].map((k) => columnSets(d, k, k === 3 ? MAX_TRIPLES : Infinity, 'width'));
  const tv = (data: readonly Int32Array[]): number[] => sets.map((s) => averageTv(real, code(data), s));
  const [synthTv, indepTv, bootTv] = [tv(cols), tv(f.independent), tv(f.bootstrap)];
  const fresh = freshSample(c.table, c.seed);
  const freshTv3 = fresh ? averageTv(real, code(fresh), sets[2]) : undefined;
  const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
  const largest = parts.reduce((best, p) => (p.rowCount > best.rowCount ? p : best), parts[0]);
  const replay = process.env.BENCH_WIDTH_REPLAY === '0' ? undefined : replayProcesses(dir, largest, { attrs: domain.attrs, shape: domain.shape, mechanism: c.mechanism, rho, seed: c.seed, ...(modelMB ? { maxModelSizeMB: Number(modelMB) } : {}), sampleRows: table.rowCount, partyRows: largest.rowCount, releases: oracle.recorded });
  emit({
    ...caseFields(c, table),
    tv1Avg: round4(synthTv[0]),
    tv2Avg: round4(synthTv[1]),
    tv3Avg: round4(synthTv[2]),
    tv3Sets: sets[2].length,
    tv3Sampled: sets[2].length < (d * (d - 1) * (d - 2)) / 6,
    ...gapFields(synthTv[2], indepTv[2], bootTv[2], freshTv3),
    wallSeconds: Math.round(wall * 10) / 10,
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    // One process holds the coordinator's mechanism and every party (InProcessOracle); the
    // figure is this bench process's peak so far (all earlier cases included).
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    // Fresh processes replaying this run (bench/_widthReplay): the coordinator alone (mechanism,
    // fitting, sampling; answers read back from the recording, no party data) and the largest
    // party alone (its rows, decoding and evaluating every query; no gRPC, secure aggregation or
    // noise). Each includes Node's own baseline (~40-50 MB).
    coordinatorPeakRssMB: replay?.coordinator.peakRssMB,
    coordinatorCpuSeconds: replay?.coordinator.cpuSeconds,
    largestAgentPeakRssMB: replay?.agent.peakRssMB,
    largestAgentCpuSeconds: replay?.agent.cpuSeconds,
    largestAgentRows: largest.rowCount,
    // In-process split of the CPU seconds: the mechanism between releases (coordinator work:
    // fits, pools, batches; the last entry is the final fit), all parties inside releases, sampling.
    mechanismCpuSeconds: Math.round(oracle.phases.reduce((a, p) => a + p.coordinatorCpu, 0) * 10 + (mechanismEnd - oracle.lastReleaseCpu) * 10) / 10,
    partiesCpuSeconds: Math.round(oracle.phases.reduce((a, p) => a + p.partiesCpu, 0) * 10) / 10,
    finalFitCpuSeconds: Math.round((mechanismEnd - oracle.lastReleaseCpu) * 10) / 10,
    sampleCpuSeconds: Math.round(sampleCpu * 10) / 10,
    phases: oracle.phases,
    modelCells: res.model.tree.size(),
    maxCliqueCells: Math.max(...res.model.cliques.map((cl) => domain.size(cl))),
    measured: res.measurements.length,
    // Generated tables: planted edges measured / in the model, budget by batch (bench/_aimStructure).
    ...(c.table.startsWith('gen:') ? { structure: structureFigures(benchBayesNet(c.table).net, domain, res.measurements, res.model.cliques, rho) } : {}),
    loadAverage1m: Math.round(loadavg()[0] * 10) / 10,
    releases: oracle.releases,
    bytesPerParty: oracle.bytesPerParty,
    maxReleaseBytesPerParty: oracle.maxReleaseBytes,
  });
}

/**
 * The same case through the real product (bench/_widthProcesses): a coordinator and one agent per
 * party as separate processes, masking, each silo holding back a fifth of its rows as its control
 * sample (the local risk evaluation) and, with BENCH_WIDTH_POOLED_RISK=SHARE, the pooled risk release.
 * The synthetic rows are scored against the whole table as in-process cases are.
 */
async function runProcessesCase(c: WidthCase, table: EncodedTable, emit: Emit): Promise<void> {
  const domain = table.domain;
  const d = domain.attrs.length;
  const parts = splitParties(table, c.parties, parsePartySplit(c.split), seededRandomSource(c.seed, 'simulate/split'));
  const dir = mkdtempSync(join(tmpdir(), 'fedsynth-width-'));
  try {
    const synthFile = join(dir, 'synthetic.csv');
    const pooledRiskShare = Number(process.env.BENCH_WIDTH_POOLED_RISK ?? '0');
    const load0 = loadavg()[0];
    const r = await runProcessCase(parts, { mechanism: c.mechanism, epsilon: c.epsilon, delta: DELTA, rows: table.rowCount, controlShare: 0.2, pooledRiskShare, keepSynthetic: synthFile });
    const load1 = loadavg()[0];
    let quality: Record<string, unknown> = {};
    if (r.state === 'done') {
      const synth = EncodedTable.fromCsv(readFileSync(synthFile, 'utf8'), domain);
      const code = (data: readonly Int32Array[]): CodeTable => makeCodeTable(domain.attrs, domain.shape, data);
      const real = code(table.columns.map((col) => Int32Array.from(col)));
      const f = floors(table, c.seed);
      const sets = columnSets(d, 3, MAX_TRIPLES, 'width');
      const [s, i, b] = [synth.columns.map((col) => Int32Array.from(col)), f.independent, f.bootstrap].map((data) => averageTv(real, code(data), sets));
      const fresh = freshSample(c.table, c.seed);
      const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
      quality = { syntheticRows: synth.rowCount, tv3Avg: round4(s), tv3Sets: sets.length, ...gapFields(s, i, b, fresh ? averageTv(real, code(fresh), sets) : undefined) };
    }
    const largest = r.agents.reduce((a, g) => (g.peakRssMB > a.peakRssMB ? g : a));
    emit({
      processes: true,
      ...caseFields(c, table),
      aggregation: 'masking',
      controlShare: 0.2,
      pooledRiskShare,
      state: r.state,
      ...(r.error ? { error: r.error } : {}),
      rounds: r.rounds,
      roundsRetried: r.roundsRetried,
      maxAgentEventLoopDelayMs: Math.max(...r.agents.map((g) => g.maxEventLoopDelayMs)),
      ...quality,
      wallSeconds: r.wallSeconds,
      phases: r.phases,
      cpuSeconds: Math.round((r.coordinator.cpuSeconds + r.agents.reduce((a, g) => a + g.cpuSeconds, 0)) * 10) / 10,
      coordinatorCpuSeconds: r.coordinator.cpuSeconds,
      coordinatorPeakRssMB: r.coordinator.peakRssMB,
      largestAgentPeakRssMB: largest.peakRssMB,
      largestAgentCpuSeconds: largest.cpuSeconds,
      largestAgentRows: largest.rows,
      agents: r.agents,
      localReports: r.localReports,
      pooledRiskReleased: r.pooledRiskReleased,
      loadAverage1m: [Math.round(load0 * 10) / 10, Math.round(load1 * 10) / 10],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface ReplayFigures {
  readonly peakRssMB: number;
  readonly cpuSeconds: number;
}

/** Writes the largest party's columns and the recording's meta to `dir`, runs both replays in fresh Node processes, removes `dir`. */
function replayProcesses(dir: string, largest: EncodedTable, meta: ReplayMeta): { coordinator: ReplayFigures; agent: ReplayFigures } {
  try {
    writeFileSync(join(dir, 'meta.json'), JSON.stringify(meta));
    largest.columns.forEach((col, j) => writeFileSync(join(dir, `c_${j}.bin`), new Uint8Array(col.buffer, col.byteOffset, col.byteLength)));
    const script = join(dirname(fileURLToPath(import.meta.url)), '_widthReplay.js');
    const one = (role: string): ReplayFigures => {
      const out = execFileSync(process.execPath, [script, role, dir], { encoding: 'utf8', maxBuffer: 1 << 20 });
      return JSON.parse(out) as ReplayFigures;
    };
    return { coordinator: one('coordinator'), agent: one('agent') };
  } finally {
    // BENCH_WIDTH_KEEP=1 keeps the recording (e.g. to replay it with another build).
    if (process.env.BENCH_WIDTH_KEEP === '1') process.stderr.write(`bench/width: recording kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** Comma lists from the environment (BENCH_WIDTH_*), with the small default case set. */
function cases(): WidthCase[] {
  const env = process.env;
  const list = (v: string | undefined, def: string): string[] => (v ?? def).split(',').filter((x) => x !== '');
  const rows = Number(env.BENCH_WIDTH_ROWS ?? '20000');
  const seed = env.BENCH_WIDTH_SEED ?? '1';
  const tables = [
    ...list(env.BENCH_WIDTH_COLUMNS, '14,24,40').map((cols) => `gen:${cols}:2-16:3:${rows}:${seed}`),
    ...list(env.BENCH_WIDTH_TABLES, ''),
  ];
  const out: WidthCase[] = [];
  for (const table of tables)
    for (const mechanism of list(env.BENCH_WIDTH_MECH, 'mst'))
      for (const parties of list(env.BENCH_WIDTH_PARTIES, '5'))
        out.push({
          table,
          mechanism: mechanism === 'aim' ? 'aim' : 'mst',
          parties: Number(parties),
          split: env.BENCH_WIDTH_SPLIT ?? 'dirichlet:0.5',
          epsilon: Number(env.BENCH_WIDTH_EPS ?? '1'),
          seed,
        });
  return out;
}

/**
 * Default: MST on generated 14/24/40-column tables (20,000 rows, domains 2-16, up to 3 parents),
 * 5 parties, dirichlet:0.5, eps 1. Larger runs through the environment, e.g.
 * BENCH_WIDTH_COLUMNS=40,70,100 BENCH_WIDTH_ROWS=1000000 BENCH_WIDTH_PARTIES=5,10
 * BENCH_WIDTH_MECH=mst,aim BENCH_WIDTH_TABLES=adult,diamonds,lending_club,ames; BENCH_WIDTH_MODEL_MB sets
 * AIM's model-size bound, BENCH_WIDTH_SHARE its selection share, BENCH_WIDTH_EPOCHS its epochs (default: AIM's own),
 * BENCH_WIDTH_HET its heterogeneity mode (condition: the default before session 11); BENCH_WIDTH_REPLAY=0
 * skips the two replay processes (per-process RSS), which re-run the mechanism (with AIM's defaults: set it with any AIM knob) and the largest party;
 * BENCH_WIDTH_KEEP=1 keeps their recording. BENCH_WIDTH_PROCESSES=1 runs each case through the real
 * product instead (separate coordinator and agent processes, gRPC, masking; runProcessesCase), with
 * BENCH_WIDTH_POOLED_RISK=SHARE the post-delivery pooled risk release (default 0: off).
 */
export async function run(emit: Emit): Promise<void> {
  const processes = process.env.BENCH_WIDTH_PROCESSES === '1';
  for (const c of cases()) await (processes ? runProcessesCase : runCase)(c, loadBenchTable(c.table), emit);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void run((rec) => console.log(JSON.stringify({ bench: 'width', ...rec })));
}
