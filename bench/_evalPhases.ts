// bench/_evalPhases: the local evaluation's steps (evaluateSynthetic, evaluateRisk) run one by one in
// a fresh process, a sampler thread reading VmRSS every 10 ms: each step's own peak resident set.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { makeCodeTable, selectRows, type CodeTable } from '../shared/eval/CodeTable.js';
import { countChunkRows, selectChunkRows } from '../shared/eval/RowChunks.js';
import { evaluateParty } from '../shared/eval/evaluateParty.js';
import { sampleRows } from '../shared/eval/sampleRows.js';
import { distinctRows } from '../shared/eval/risk/distinctRows.js';
import { singlingOutAttack } from '../shared/eval/risk/singlingOutAttack.js';
import { linkabilityAttack } from '../shared/eval/risk/linkabilityAttack.js';
import { inferenceAttacks } from '../shared/eval/risk/inferenceAttacks.js';
import { closestRecordRates } from '../shared/eval/risk/closestRecordRates.js';
import { membershipInference } from '../shared/eval/risk/membershipInference.js';
import { MAX_ATTACKED_SYNTHETIC_ROWS } from '../shared/eval/evaluateSynthetic.js';
import { syntheticCsvChunks } from '../platform/delivery/syntheticCsvChunks.js';
import { loadBenchTable } from './_benchTables.js';

const SAMPLER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const s = new Int32Array(workerData);
setInterval(() => {
  const m = /VmRSS:\\s+(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  const kb = m ? Number(m[1]) : 0;
  const p = Atomics.load(s, 0);
  if (kb > s[1 + p]) s[1 + p] = kb;
}, 10);
`;

/** `node dist/bench/_evalPhases.js TABLE ROWS REC_DIR`: TABLE's first ROWS rows, every fifth one control, each side capped at 200,000. */
async function main(): Promise<void> {
  const [table, rowsArg, rec] = process.argv.slice(2);
  const shared = new SharedArrayBuffer(4 * 64);
  const s = new Int32Array(shared);
  const sampler = new Worker(SAMPLER, { eval: true, workerData: shared });
  const names: string[] = [];
  const cpu: number[] = [];
  const step = async <T>(name: string, f: () => T): Promise<T> => {
    names.push(name);
    Atomics.store(s, 0, names.length - 1);
    const c0 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, 30));
    const out = f();
    await new Promise((r) => setTimeout(r, 30));
    const c = process.cpuUsage(c0);
    cpu.push(Math.round((c.user + c.system) / 1e5) / 10);
    return out;
  };
  const seed = 'local/bench';
  const t = loadBenchTable(`${table}`);
  const n = Math.min(t.rowCount, Number(rowsArg));
  const trainIdx: number[] = [];
  const controlIdx: number[] = [];
  for (let r = 0; r < n; r++) (r % 5 === 4 ? controlIdx : trainIdx).push(r);
  const cap = (idx: number[]): number[] => (idx.length <= 200_000 ? idx : [...sampleRows(idx.length, 200_000, seed, 'cap')].map((i) => idx[i]));
  const full: CodeTable = { columns: t.domain.attrs, sizes: t.domain.shape, data: t.columns.map((c) => Int32Array.from(c)), rows: t.rowCount };
  const realAll = selectRows(full, cap(trainIdx));
  const control = selectRows(full, cap(controlIdx));
  (full as { data: unknown }).data = [];
  const columns = t.domain.attrs;
  const sizes = t.domain.shape;
  const src = syntheticCsvChunks(join(rec!, 'synthetic.csv'), { columns, sizes, schema: null });
  await step('start', () => 0);
  const total = countChunkRows(src);
  const [synthAll, synth] = await step('readSynthetic', () =>
    total <= MAX_ATTACKED_SYNTHETIC_ROWS ? ((a) => [a, selectRows(a, sampleRows(a.rows, 5000, seed, 'synth'))])(selectChunkRows(src, [null], total)[0]) : selectChunkRows(src, [sampleRows(total, MAX_ATTACKED_SYNTHETIC_ROWS, seed, 'risk/synth'), sampleRows(total, 5000, seed, 'synth')], total),
  );
  const real = realAll.rows <= 5000 ? realAll : selectRows(realAll, sampleRows(realAll.rows, 5000, seed, 'real'));
  await step('evaluateParty', () => evaluateParty({ train: makeCodeTable(columns, sizes, real.data), holdout: null, synth, target: columns[columns.length - 1], maxWay: 3, seed }));
  const ordinal = columns.map(() => false);
  const trainTargets = sampleRows(realAll.rows, 2000, seed, 'risk/targets/train');
  const controlTargets = sampleRows(control.rows, 2000, seed, 'risk/targets/control');
  const tables = await step('distinctRows', () => ({ synth: distinctRows(synthAll), train: distinctRows(realAll), control: distinctRows(control), ordinal }));
  await step('singlingOut/uni', () => singlingOutAttack(tables, { mode: 'univariate', attacks: 2000, columns: 3, seed }));
  await step('singlingOut/multi', () => singlingOutAttack(tables, { mode: 'multivariate', attacks: 2000, columns: 3, seed }));
  const link = await step('linkability', () => linkabilityAttack(synthAll, realAll, trainTargets, control, controlTargets, { seed }));
  const inf = await step('inference', () => inferenceAttacks(synthAll, realAll, trainTargets, control, controlTargets, columns.map((_, c) => c), seed));
  const closest = await step('closestRecord', () => closestRecordRates(synthAll, realAll, control, 3000, seed));
  const mia = await step('membershipInference', () => membershipInference(synthAll, realAll, trainTargets, control, controlTargets, 0.95, inf.nearest));
  await new Promise((r) => setTimeout(r, 50));
  const peaks = names.map((name, i) => ({ step: name, peakRssMB: Math.round(s[1 + i]! / 1024), cpuSeconds: cpu[i] }));
  const c = process.cpuUsage();
  process.stdout.write(JSON.stringify({ table, train: realAll.rows, control: control.rows, synth: total, steps: peaks, cpuSeconds: Math.round((c.user + c.system) / 1e5) / 10, figures: { link: [link.successes, link.controlSuccesses], inf: inf.counts.map((x) => [x.successes, x.controlSuccesses]).flat().join(','), closest: closest.closerToTrain, mia: mia.auc } }) + '\n');
  await sampler.terminate();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
