// _benchTables: the tables benchmarks measure on, by name: the bundled public tables (data/, see
// docs/data.md) and generated Bayesian-network tables `gen:COLUMNS:SIZES:PARENTS:ROWS:SEED`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Domain } from '../shared/pgm/Domain.js';
import { EncodedTable } from '../shared/data/EncodedTable.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { randomBayesNet, sampleBayesNet, type BayesNet } from '../shared/data/RandomBayesNet.js';
import { FedsynthError, ErrorCode } from '../shared/errors/FedsynthError.js';

// Run from dist/bench (npm run bench): the project root is two levels up.
const root = fileURLToPath(new URL('../../', import.meta.url));

/** The bundled real tables (data/NAME.csv + data/NAME-domain.json). */
export const PUBLIC_TABLES = ['adult', 'diamonds', 'lending_club', 'ames'] as const;

/**
 * Loads a table by name: a bundled one (PUBLIC_TABLES) or `gen:COLUMNS:SIZES:PARENTS:ROWS:SEED`
 * (SIZES `MIN-MAX` or one size per column joined by dots, e.g. `gen:40:2-16:3:50000:1`), the same
 * table `fedsynth generate --sizes` (with commas for dots) writes.
 */
export function loadBenchTable(name: string): EncodedTable {
  if (name.startsWith('gen:')) {
    const { net, rows, seed } = benchBayesNet(name);
    return sampleBayesNet(net, rows, seededRandomSource(seed, 'bayesnet/rows'));
  }
  if (!(PUBLIC_TABLES as readonly string[]).includes(name)) throw new FedsynthError(ErrorCode.InvalidArgument, `unknown bench table ${name} (${PUBLIC_TABLES.join(', ')}, gen:...)`);
  const domain = Domain.fromJson(JSON.parse(readFileSync(join(root, `data/${name}-domain.json`), 'utf8')) as Record<string, number>);
  return EncodedTable.fromCsv(readFileSync(join(root, `data/${name}.csv`), 'utf8'), domain);
}

/**
 * The network behind a generated table `gen:COLUMNS:SIZES:PARENTS:ROWS:SEED` (its true parent sets and
 * conditionals), with its row count and seed: `loadBenchTable` samples the table's rows from it.
 */
export function benchBayesNet(name: string): { net: BayesNet; rows: number; seed: string } {
  const [cols, sizes, parents, rows, seed] = name.startsWith('gen:') ? name.slice(4).split(':') : [];
  const range = /^(\d+)-(\d+)$/.exec(sizes ?? '');
  const list = /^\d+(\.\d+)*$/.test(sizes ?? '') ? (sizes as string).split('.').map(Number) : null;
  if ((!range && !list) || seed === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, `bench table ${name}: expected gen:COLUMNS:SIZES:PARENTS:ROWS:SEED`);
  const net = randomBayesNet(
    { columns: Number(cols), sizes: range ? { min: Number(range[1]), max: Number(range[2]) } : (list as number[]), maxParents: Number(parents) },
    seededRandomSource(seed, 'bayesnet/network'),
  );
  return { net, rows: Number(rows), seed };
}
