// A raw-schema `simulate --mechanism dpsgd`: each simulated agent trains on its own rows' values of
// the continuous columns (as a CSV/Parquet/PostgreSQL agent does), not on its bins' centres.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TabularRows } from '../shared/neural/TabularEncoding.js';
import { parsePartySplit } from '../shared/data/splitParties.js';
import { parseSchema } from '../shared/schema/ConsortiumSchema.js';
import { completeDpsgdTraining } from '../shared/study/dpsgdTraining.js';
import { silentLogger } from '../platform/logging/logging.js';
import { encodeRawCsv } from '../simulation/encodeRawCsv.js';
import { runSimulation } from '../simulation/runSimulation.js';
import { runComparison } from '../simulation/runComparison.js';

// Every TabularRows a gradient contribution trains on, as trainingRowsOf handed them.
const handed: TabularRows[] = [];
vi.mock('../party-agent/data/trainingRows.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../party-agent/data/trainingRows.js')>();
  return {
    ...real,
    trainingRowsOf: async (...args: Parameters<typeof real.trainingRowsOf>) => {
      const t = await real.trainingRowsOf(...args);
      handed.push(t);
      return t;
    },
  };
});

// Every chunk of generator samples the coordinator wrote into synthetic.csv (SyntheticCsvWriter, through decodeTabularCsvRows).
const written: TabularRows[] = [];
vi.mock('../shared/neural/decodeTabularRows.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../shared/neural/decodeTabularRows.js')>();
  return {
    ...real,
    decodeTabularCsvRows: (...args: Parameters<typeof real.decodeTabularCsvRows>) => {
      written.push(args[2]);
      return real.decodeTabularCsvRows(...args);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'fedsynth-rawsim-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Four columns of the first 600 rows of data/adult-raw.csv: age and hours-per-week continuous.
const keep = ['age', 'sex', 'hours-per-week', 'income'];
const schemaRaw = JSON.parse(readFileSync('data/adult-raw.schema.json', 'utf8')) as { columns: { name: string }[] };
const schemaJson = { ...schemaRaw, columns: keep.map((k) => schemaRaw.columns.find((c) => c.name === k)!) };
const lines = readFileSync('data/adult-raw.csv', 'utf8').split('\n').slice(0, 601);
const header = lines[0].split(',');
const body = lines.slice(1).map((l) => l.split(','));
const dataFile = join(root, 'raw.csv');
writeFileSync(dataFile, [keep.join(','), ...body.map((f) => keep.map((k) => f[header.indexOf(k)]).join(','))].join('\n') + '\n');
const rawAges = body.map((f) => Number(f[header.indexOf('age')]));
const training = completeDpsgdTraining({ rounds: 1, sampleRate: 0.2, hidden: [8], latent: 2, learningRate: 0.01 });

/** The age values of each distinct party table handed to the gradient rounds, pooled. */
function handedAges(): number[] {
  const seen = new Set<unknown>();
  const ages: number[] = [];
  for (const t of handed) {
    if (seen.has(t.codes)) continue;
    seen.add(t.codes);
    ages.push(...t.values[0]!);
  }
  return ages;
}

const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);

describe('simulate --schema --mechanism dpsgd', () => {
  beforeEach(() => {
    handed.length = 0;
    written.length = 0;
  });

  it("hands each agent its own rows' continuous values, together exactly the input's", async () => {
    const enc = await encodeRawCsv(dataFile, parseSchema(schemaJson), 'fail');
    expect(enc.values.map((v) => v !== null)).toEqual([true, false, true, false]);
    await runSimulation({
      table: enc.table, domain: enc.domain, values: enc.values, schemaJson: JSON.stringify(schemaJson),
      parties: 3, split: parsePartySplit('dirichlet:0.5'), splitText: 'dirichlet:0.5', epsilon: 1, delta: 1e-9,
      mechanism: 'dpsgd', training, aggregation: 'masking', rows: 50, seed: '1', out: join(root, 'one'), drop: 0, colluders: 0, log: silentLogger(),
    });
    const ages = handedAges();
    // Three party tables whose ages are the raw ages (not NaN, i.e. not the bins' centres), each row once.
    expect(new Set(handed.map((t) => t.codes)).size).toBe(3);
    expect(sorted(ages)).toEqual(sorted(rawAges));
    expect(handed.every((t) => t.values[2]!.every((x) => Number.isFinite(x)))).toBe(true);
    // synthetic.csv holds the generator's sampled values of the continuous columns (passed out of
    // the mechanism's worker thread), not values redrawn uniformly within their bins.
    expect(written).toHaveLength(1);
    const cells = readFileSync(join(root, 'one', 'synthetic.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    expect(cells).toHaveLength(50);
    for (const j of [0, 2]) expect(cells.map((c) => c[j])).toEqual(Array.from(written[0].values[j]!, (v) => (Number.isNaN(v) ? '' : String(v))));
  }, 300_000);

  it('holds the control rows back from the values too when comparing models', async () => {
    const enc = await encodeRawCsv(dataFile, parseSchema(schemaJson), 'fail');
    const { run } = await runComparison({
      table: enc.table, domain: enc.domain, values: enc.values, schemaJson: JSON.stringify(schemaJson),
      parties: 3, split: parsePartySplit('random'), splitText: 'random', epsilon: 1, delta: 1e-9,
      mechanisms: ['mst', 'dpsgd'], budgetSplit: 'equal', controlShare: 0.2,
      training, aggregation: 'plain', rows: 50, seed: '2', out: join(root, 'compare'), drop: 0, colluders: 0, log: silentLogger(),
    });
    const ages = handedAges();
    expect(ages).toHaveLength(600 - (run.controlRows as number));
    expect(run.controlRows).toBe(120);
    expect(ages.every((x) => Number.isFinite(x))).toBe(true);
    // A multiset inside the raw ages: every handed value is some row's age.
    const left = new Map<number, number>();
    for (const a of rawAges) left.set(a, (left.get(a) ?? 0) + 1);
    for (const a of ages) {
      expect(left.get(a) ?? 0).toBeGreaterThan(0);
      left.set(a, left.get(a)! - 1);
    }
  }, 300_000);
});
