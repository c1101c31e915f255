// generateMixedTable: a seeded table of raw mixed-type rows (categoricals, skewed amounts with a spike at
// 0, counts, a bell-shaped lab value) and its consortium schema, for measuring continuous columns off Adult.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRandomSource, type RandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformFloat } from '../../shared/dp/random/uniform.js';
import { gammaVariate, standardNormal } from '../../shared/data/simulationSamplers.js';

/**
 * The schema: public bin edges chosen as a data owner would (round numbers, wider where values are
 * rare), not fitted to the rows; within every bin the values are far from uniform (skew, spikes at 0
 * and at small integers, tails), so a model of the values can beat a uniform draw within the bin.
 */
export const MIXED_TABLE_SCHEMA = {
  version: 1,
  decode: 'uniform',
  columns: [
    { name: 'region', type: 'categorical', categories: ['north', 'south', 'east', 'west'] },
    { name: 'sex', type: 'categorical', categories: ['F', 'M'] },
    { name: 'age', type: 'integer', edges: [18, 25, 35, 45, 55, 65, 80, 95], outOfDomain: 'clamp' },
    { name: 'income', type: 'numeric', edges: [0, 1, 10000, 25000, 50000, 100000, 250000, 1000000], decimals: 0, outOfDomain: 'clamp' },
    { name: 'visits', type: 'integer', edges: [0, 1, 2, 5, 10, 50], outOfDomain: 'clamp' },
    { name: 'stay', type: 'numeric', edges: [0, 0.1, 2, 5, 10, 20, 60], decimals: 1, outOfDomain: 'clamp' },
    { name: 'lab', type: 'numeric', edges: [0, 3, 4, 5, 6, 7, 8, 12], decimals: 2, outOfDomain: 'clamp' },
    { name: 'outcome', type: 'categorical', categories: ['no', 'yes'] },
  ],
} as const;

function pick(p: readonly number[], rng: RandomSource): number {
  let u = uniformFloat(rng);
  for (let k = 0; k < p.length - 1; k++) if ((u -= p[k]) < 0) return k;
  return p.length - 1;
}

function poisson(mean: number, rng: RandomSource): number {
  // Knuth's product of uniforms (small means only: here at most ~5).
  const l = Math.exp(-mean);
  let k = 0;
  let p = uniformFloat(rng);
  while (p > l) {
    k++;
    p *= uniformFloat(rng);
  }
  return k;
}

/** `rows` rows as CSV cells (header first): region -> age -> income, visits, stay; sex, age -> lab; lab, age, stay -> outcome. */
export function mixedTableRows(rows: number, seed: string): string[][] {
  const rng = seededRandomSource(seed, 'mixed-table');
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
  const out: string[][] = [MIXED_TABLE_SCHEMA.columns.map((c) => c.name)];
  for (let r = 0; r < rows; r++) {
    const region = pick([0.4, 0.3, 0.2, 0.1], rng);
    const sex = pick([0.5, 0.5], rng);
    const age = clamp(Math.round(40 + 6 * region + 14 * standardNormal(rng)), 18, 95);
    const employed = uniformFloat(rng) >= 0.08;
    const income = employed ? clamp(Math.round(Math.exp(10.3 + 0.15 * region + 0.012 * (age - 40) + 0.7 * standardNormal(rng))), 1, 1_000_000) : 0;
    const visits = Math.min(50, poisson(1 + age / 30, rng));
    const stay = uniformFloat(rng) < 0.6 ? 0 : clamp(Math.round(gammaVariate(2, rng) * (2 + region) * 10) / 10, 0.1, 60);
    const lab = clamp(5.5 + 0.8 * sex + 0.02 * (age - 40) + 1.1 * standardNormal(rng), 0, 12);
    const logit = -3 + 0.5 * (lab - 5.5) + 0.03 * (age - 40) + (stay > 0 ? 1 : 0);
    const outcome = uniformFloat(rng) < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    out.push([
      MIXED_TABLE_SCHEMA.columns[0].categories[region],
      MIXED_TABLE_SCHEMA.columns[1].categories[sex],
      String(age),
      String(income),
      String(visits),
      stay.toFixed(1),
      lab.toFixed(2),
      MIXED_TABLE_SCHEMA.columns[7].categories[outcome],
    ]);
  }
  return out;
}

function main(): void {
  const { values: a } = parseArgs({ options: { rows: { type: 'string', default: '30000' }, seed: { type: 'string', default: '1' }, out: { type: 'string' } } });
  if (a.out === undefined) throw new Error('give --out DIR');
  mkdirSync(a.out, { recursive: true });
  writeFileSync(join(a.out, 'data.csv'), mixedTableRows(Number(a.rows), a.seed).map((r) => r.join(',')).join('\n') + '\n');
  writeFileSync(join(a.out, 'schema.json'), JSON.stringify(MIXED_TABLE_SCHEMA, null, 2) + '\n');
  process.stdout.write(`${a.rows} rows -> ${a.out}/data.csv, ${a.out}/schema.json\n`);
}

main();
