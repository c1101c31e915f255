// bench/quality: federated MST and AIM through InProcessOracle on Adult (or BENCH_TABLE: bundled and
// generated tables); TV over all 1/2/3-way marginals, wall seconds and peak RSS. BENCH_FULL=1: grid.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Domain } from '../shared/pgm/Domain.js';
import type { EncodedTable } from '../shared/data/EncodedTable.js';
import { loadBenchTable } from './_benchTables.js';
import { InMemoryMarginalSource } from '../shared/data/InMemoryMarginalSource.js';
import { splitParties, parsePartySplit } from '../shared/data/splitParties.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { PrivacyAccountant } from '../shared/dp/accounting/PrivacyAccountant.js';
import { InProcessOracle } from '../shared/synth/InProcessOracle.js';
import { mst } from '../shared/synth/Mst.js';
import { aim } from '../shared/synth/Aim.js';
import type { AimEpochOptions, AimOptions, AimRoundOptions, AimSchedule, AimSelection } from '../shared/synth/AimOptions.js';
import { aimHeterogeneityKnob } from './_aimHeterogeneityKnob.js';
import { makeCodeTable } from '../shared/eval/CodeTable.js';
import { totalVariation } from '../shared/eval/totalVariation.js';

const DELTA = 1e-9;

interface Case {
  table: string;
  mechanism: 'mst' | 'aim';
  epsilon: number;
  parties: number;
  split: string;
  seed: string;
  selection?: AimSelection;
}

async function runCase(c: Case, table: EncodedTable, domain: Domain, emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const parts = splitParties(table, c.parties, parsePartySplit(c.split), seededRandomSource(c.seed, 'simulate/split'));
  const rho = rhoFromEpsilon(c.epsilon, DELTA);
  const partiesBudget = new PrivacyAccountant(rho);
  const oracle = new InProcessOracle({
    domain,
    parties: parts.map((p) => new InMemoryMarginalSource(p)),
    seed: c.seed,
    accountant: partiesBudget,
  });
  const knobs = aimKnobs();
  const mstKnobs = mstOptions();
  // AIM's rounds or epochs as chosen: how many sets of each size, at which sigma.
  const rounds: { round: number; ways: number[]; sigma: number }[] = [];
  const onRound = (info: { round: number; chosen: readonly (readonly string[])[]; sigma: number }): void => {
    const ways = [0, 0, 0, 0];
    for (const ch of info.chosen) ways[Math.min(ch.length, 4) - 1]++;
    rounds.push({ round: info.round, ways, sigma: Math.round(info.sigma * 100) / 100 });
  };
  const res = c.mechanism === 'mst' ? await mst(oracle, { rho, ...mstKnobs }) : await aim(oracle, { ...aimOptions(rho, c, knobs), onRound });
  const cols = res.sample(table.rowCount, seededRandomSource(c.seed, 'coordinator/sample'));
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const real = makeCodeTable(domain.attrs, domain.shape, table.columns.map((col) => Int32Array.from(col)));
  const synth = makeCodeTable(domain.attrs, domain.shape, cols);
  const tv = totalVariation(real, synth, 3);
  const out = process.env.BENCH_OUT;
  if (out) {
    const lines = [domain.attrs.join(',')];
    for (let i = 0; i < cols[0].length; i++) lines.push(cols.map((col) => col[i]).join(','));
    writeFileSync(out, lines.join('\n') + '\n');
  }
  emit({
    bench: 'quality',
    table: c.table,
    mechanism: c.mechanism,
    selection: c.mechanism === 'aim' ? (knobs.schedule === 'rounds' ? (c.selection ?? 'localScores') : 'epochs') : `${mstKnobs.selectionReference ?? 'party'}Reference`,
    ...(c.mechanism === 'aim' ? { knobs } : { knobs: mstKnobs }),
    epsilon: c.epsilon,
    delta: DELTA,
    rho,
    rhoCharged: partiesBudget.spent.rho,
    parties: c.parties,
    split: c.split,
    seed: c.seed,
    ...Object.fromEntries(tv.byWay.flatMap((w, k) => [[`tv${k + 1}Avg`, round4(w.avg)], [`tv${k + 1}Max`, round4(w.max)]])),
    wallSeconds: Math.round(wall * 10) / 10,
    // CPU seconds of this process (user + system): wall time on a shared machine varies with load.
    cpuSeconds: Math.round((cpu.user + cpu.system) / 1e5) / 10,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    // AIM: per round/epoch the chosen sets by size (1-, 2-, 3-, 4+-way) and their sigma; the probe's column.
    ...(c.mechanism === 'aim' ? { rounds, condition: 'condition' in res ? (res.condition ?? null) : null } : {}),
    // BENCH_SELECTED=1: every measured set, in order (to compare what two runs chose).
    ...(process.env.BENCH_SELECTED === '1' && 'selected' in res ? { selected: res.selected.map((s: readonly string[]) => s.join('+')) } : {}),
  });
}

/** Every AIM knob the environment can set, of either schedule (as recorded in the output). */
type AimKnobs = Partial<Omit<AimEpochOptions, 'rho' | 'schedule'>> & Partial<Omit<AimRoundOptions, 'rho' | 'schedule' | 'selection'>> & { schedule?: AimSchedule };

/**
 * AIM options from the environment (BENCH_SCHEDULE, BENCH_EPOCHS, BENCH_HET, BENCH_SC, BENCH_PROBE, BENCH_BATCH, BENCH_SHARE,
 * BENCH_MAXMB, BENCH_CONDFIRST=1|0, BENCH_FOREST=1|0, BENCH_SIGNIF=1|0, BENCH_MAXWAY_EPOCHS, ...). BENCH_HET: joint (the default), condition (the default before session 11), self, none;
 * BENCH_JOINT=1 (with or without BENCH_HET=self) is `joint`, BENCH_JOINT=2 `joint` + jointConditionUnknown; with joint or self:
 * BENCH_MFLOOR=0|1 (the floor; default Poisson with joint, multinomial with self; BENCH_JOINT=1|2 without BENCH_MFLOOR is
 * session 10's joint mode, multinomial floor: its documented commands keep their meaning),
 * BENCH_ADDBACK=0, BENCH_UNTILKNOWN=1.
 */
function aimKnobs(): AimKnobs {
  const env = process.env;
  const num = (v: string | undefined): number | undefined => (v !== undefined && v !== '' ? Number(v) : undefined);
  const out: Record<string, unknown> = {
    schedule: env.BENCH_SCHEDULE === 'rounds' ? 'rounds' : env.BENCH_SCHEDULE === 'epochs' ? 'epochs' : undefined,
    epochs: num(env.BENCH_EPOCHS),
    heterogeneity: aimHeterogeneityKnob(env.BENCH_HET, env.BENCH_JOINT),
    samplingCorrection: env.BENCH_SC === '0' ? false : env.BENCH_SC === '1' ? true : undefined,
    probeShare: num(env.BENCH_PROBE),
    batch: num(env.BENCH_BATCH),
    selectionShare: num(env.BENCH_SHARE),
    maxModelSizeMB: num(env.BENCH_MAXMB),
    maxBatch: num(env.BENCH_MAXBATCH),
    pathRedundancy: env.BENCH_PATHS === '1' ? true : undefined,
    firstBatchForest: env.BENCH_FOREST === '1' ? true : env.BENCH_FOREST === '0' ? false : undefined,
    maxWayEpochs: num(env.BENCH_MAXWAY_EPOCHS),
    significantPicks: env.BENCH_SIGNIF === '1' ? true : env.BENCH_SIGNIF === '0' ? false : undefined,
    measurementSplit: env.BENCH_MEASURE_SPLIT === 'cells' ? 'cells' : env.BENCH_MEASURE_SPLIT === 'equal' ? 'equal' : undefined,
    prune: env.BENCH_PRUNE === '0' ? false : undefined,
    maxPool: num(env.BENCH_MAXPOOL),
    firstEpochMaxWay: num(env.BENCH_FIRSTWAY),
    annealing: env.BENCH_ANNEAL === '1' ? true : undefined,
    estimator: env.BENCH_ESTIMATOR === 'mirror-descent' ? 'mirror-descent' : env.BENCH_ESTIMATOR === 'accelerated' ? 'accelerated' : undefined,
    iters: num(env.BENCH_ITERS),
    denoisingFactor: num(env.BENCH_KAPPA),
    conditionPairsFirst: env.BENCH_CONDFIRST === '1' ? true : env.BENCH_CONDFIRST === '0' ? false : undefined,
    selfConditionUntilKnown: env.BENCH_UNTILKNOWN === '1' ? true : undefined,
    jointConditionUnknown: env.BENCH_JOINT === '2' ? true : undefined,
    // BENCH_JOINT=1|2 alone is session 10's joint mode, which subtracted the multinomial floor.
    multinomialFloor: env.BENCH_MFLOOR === '0' ? false : env.BENCH_MFLOOR === '1' || ((env.BENCH_JOINT === '1' || env.BENCH_JOINT === '2') && env.BENCH_MFLOOR === undefined) ? true : undefined,
    marginAddBack: env.BENCH_ADDBACK === '0' ? false : undefined,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as AimKnobs;
}

/** The options of the knobs' schedule: the other schedule's knobs do not apply to it. */
function aimOptions(rho: number, c: Case, knobs: AimKnobs): AimOptions {
  const { schedule, batch, epochs, estimator, firstEpochMaxWay, annealing, prune, maxBatch, measurementSplit, pathRedundancy, firstBatchForest, maxWayEpochs, significantPicks, denoisingFactor, heterogeneity, probeShare, samplingCorrection, conditionPairsFirst, selfConditionUntilKnown, jointConditionUnknown, multinomialFloor, marginAddBack, ...common } = knobs;
  if (schedule === 'rounds') return { ...common, rho, seed: c.seed, schedule, selection: c.selection, batch }; // the case's selection path
  return { ...common, rho, seed: c.seed, schedule, epochs, estimator, firstEpochMaxWay, annealing, prune, maxBatch, measurementSplit, pathRedundancy, firstBatchForest, maxWayEpochs, significantPicks, denoisingFactor, heterogeneity, probeShare, samplingCorrection, conditionPairsFirst, selfConditionUntilKnown, jointConditionUnknown, multinomialFloor, marginAddBack };
}

/** MST options from the environment (BENCH_MST_REF=party|consortium, BENCH_SC=0|1). */
function mstOptions(): { selectionReference?: 'party' | 'consortium'; samplingCorrection?: boolean } {
  const env = process.env;
  return {
    ...(env.BENCH_MST_REF === 'consortium' || env.BENCH_MST_REF === 'party' ? { selectionReference: env.BENCH_MST_REF } : {}),
    ...(env.BENCH_SC === '0' || env.BENCH_SC === '1' ? { samplingCorrection: env.BENCH_SC === '1' } : {}),
  };
}

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

export async function run(emit: (rec: Record<string, unknown>) => void): Promise<void> {
  const env = process.env;
  const cases: Case[] = [];
  if (env.BENCH_FULL === '1') {
    for (const mechanism of ['mst', 'aim'] as const)
      for (const epsilon of [0.5, 1, 4]) for (const parties of [1, 3, 10]) cases.push({ table: 'adult', mechanism, epsilon, parties, split: 'dirichlet:0.5', seed: '1' });
  } else if (env.BENCH_MECH) {
    // Comma-separated lists are crossed: BENCH_TABLE=adult,diamonds BENCH_SPLIT=dirichlet:0.5,random
    // BENCH_SEED=1,2 BENCH_PARTIES=1,10.
    for (const table of (env.BENCH_TABLE ?? 'adult').split(','))
      for (const parties of (env.BENCH_PARTIES ?? '10').split(','))
        for (const split of (env.BENCH_SPLIT ?? 'dirichlet:0.5').split(','))
          for (const seed of (env.BENCH_SEED ?? '1').split(','))
            cases.push({
              table,
              mechanism: env.BENCH_MECH === 'aim' ? 'aim' : 'mst',
              epsilon: Number(env.BENCH_EPS ?? '1'),
              parties: Number(parties),
              split,
              seed,
              selection: (env.BENCH_SELECT as AimSelection | undefined) ?? undefined,
            });
  } else {
    cases.push({ table: 'adult', mechanism: 'mst', epsilon: 1, parties: 10, split: 'dirichlet:0.5', seed: '1' });
    cases.push({ table: 'adult', mechanism: 'aim', epsilon: 1, parties: 10, split: 'dirichlet:0.5', seed: '1' });
  }
  const loaded = new Map<string, EncodedTable>();
  for (const c of cases) {
    if (!loaded.has(c.table)) loaded.set(c.table, loadBenchTable(c.table));
    const table = loaded.get(c.table) as EncodedTable;
    await runCase(c, table, table.domain, emit);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  void run((rec) => console.log(JSON.stringify(rec)));
}
