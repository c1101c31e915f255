// bench/subgroups: calibration of the subgroup fidelity rule — per subgroup of every default split column,
// its size, 2-way TV and sampling floor, for DP synthesizers (MST, AIM) on several tables and epsilons.
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { splitParties } from '../shared/data/splitParties.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { InProcessOracle } from '../shared/synth/InProcessOracle.js';
import { mst } from '../shared/synth/Mst.js';
import { aim } from '../shared/synth/Aim.js';
import { makeCodeTable, type CodeTable } from '../shared/eval/CodeTable.js';
import { sampleRows } from '../shared/eval/sampleRows.js';
import { defaultSubgroupColumns, subgroupFidelity } from '../shared/eval/subgroupFidelity.js';
import { loadBenchTable, PUBLIC_TABLES } from './_benchTables.js';

const DELTA = 1e-9;
// Tables (BENCH_TABLES, comma-separated): the bundled ones and two generated Bayesian networks.
const TABLES = (process.env.BENCH_TABLES ?? [...PUBLIC_TABLES, 'gen:10:2-12:2:20000:3', 'gen:14:2-30:3:30000:5'].join(',')).split(',');
const EPSILONS = (process.env.BENCH_EPSILONS ?? '1,4').split(',').map(Number);
const MECHANISMS = (process.env.BENCH_MECHANISMS ?? 'mst').split(',').filter((m) => m === 'mst' || m === 'aim') as ('mst' | 'aim')[];
/** At most this many real rows (seeded subsample), as a silo-sized table. */
const MAX_ROWS = Number(process.env.BENCH_ROWS ?? 20000);

function subset(t: CodeTable, idx: Int32Array): CodeTable {
  return makeCodeTable(t.columns, t.sizes, t.data.map((col) => Int32Array.from(idx, (i) => col[i])));
}

/** One JSON record per judged subgroup (at least 30 real rows), with its column's overall figures. */
function emitGroups(emit: (rec: Record<string, unknown>) => void, base: Record<string, unknown>, real: CodeTable, synth: CodeTable): void {
  const r = subgroupFidelity(real, synth, { columns: defaultSubgroupColumns(real.sizes) });
  for (const c of r.columns) {
    for (const g of c.groups) {
      if (g.flag === 'small' || g.flag === 'unobserved') continue;
      emit({
        ...base,
        column: c.column,
        groups: c.groups.length,
        code: g.code,
        realRows: g.realRows,
        realShare: round(g.realShare),
        synthShare: round(g.synthShare),
        tv2: g.tv2 === null ? null : round(g.tv2),
        floor2: g.floor2 === null ? null : round(g.floor2),
        blind2: g.blind2 === null ? null : round(g.blind2),
        overallTv2: round(c.overall.tv2),
        overallFloor2: round(c.overall.floor2),
        flag: g.flag,
      });
    }
  }
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  for (const name of TABLES) {
    const full = loadBenchTable(name);
    const all = makeCodeTable(full.domain.attrs, full.domain.shape, full.columns.map((c) => Int32Array.from(c)));
    const real = subset(all, sampleRows(all.rows, Math.min(MAX_ROWS, all.rows), 'bench/subgroups', name));
    // The null: "synthetic" rows that are a fresh sample of the same population (sampling alone).
    // (Two disjoint random samples of up to MAX_ROWS rows each: a random half, and a sample of the rest.)
    const n = Math.min(Math.floor(all.rows / 2), MAX_ROWS);
    const first = sampleRows(all.rows, n, 'bench/subgroups/null', name);
    const inFirst = new Uint8Array(all.rows);
    for (const i of first) inFirst[i] = 1;
    const rest = Int32Array.from({ length: all.rows }, (_, i) => i).filter((i) => inFirst[i] === 0);
    const second = Int32Array.from(sampleRows(rest.length, n, 'bench/subgroups/null2', name), (k) => rest[k]);
    emitGroups(emit, { table: name, mechanism: 'real-vs-real', epsilon: null }, subset(all, first), subset(all, second));
    const domain = new Domain(real.columns, real.sizes);
    const parts = splitParties(new EncodedTable(domain, real.data), 3, 'random', seededRandomSource(name, 'bench/subgroups/split')).map((t) => new InMemoryMarginalSource(t));
    for (const mechanism of MECHANISMS) {
      for (const epsilon of EPSILONS) {
        const t0 = Date.now();
        const rho = rhoFromEpsilon(epsilon, DELTA);
        const oracle = new InProcessOracle({ domain, parties: parts, seed: `bench/subgroups/${name}/${mechanism}/${epsilon}` });
        const fitted = mechanism === 'mst' ? await mst(oracle, { rho }) : await aim(oracle, { rho });
        const synth = makeCodeTable(real.columns, real.sizes, fitted.sample(real.rows, seededRandomSource(name, `bench/subgroups/sample/${mechanism}/${epsilon}`)));
        emitGroups(emit, { table: name, mechanism, epsilon, rows: real.rows, fitSeconds: (Date.now() - t0) / 1000 }, real, synth);
      }
    }
  }
}

function round(x: number): number {
  return Math.round(x * 1e5) / 1e5;
}
