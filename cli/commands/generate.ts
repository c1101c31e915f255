// The `fedsynth generate` command: writes a table of known structure (a seeded random Bayesian
// network, shared/data/RandomBayesNet.ts) as integer-code CSV + domain JSON + structure JSON.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { bayesNetStructureJson, randomBayesNet, sampleBayesNet, type RandomBayesNetSpec } from '../../shared/data/RandomBayesNet.js';
import type { EncodedTable } from '../../shared/data/EncodedTable.js';
import { numberOption } from '../util/readInput.js';

interface GenerateFlags {
  columns: string;
  sizes: string;
  parents: string;
  rows: string;
  strength: string;
  seed: string;
  out: string;
}

/** Parses `MIN-MAX` (a range) or `S1,S2,...` (one size per column). */
export function parseSizes(text: string): RandomBayesNetSpec['sizes'] {
  const range = /^(\d+)-(\d+)$/.exec(text.trim());
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  const list = text.split(',').map((s) => s.trim());
  if (list.length > 0 && list.every((s) => /^\d+$/.test(s))) return list.map(Number);
  throw new FedsynthError(ErrorCode.InvalidArgument, `--sizes must be MIN-MAX or a comma list of sizes, got '${text}'`, { field: '--sizes' });
}

/** Writes the table as integer-code CSV in blocks of rows (no single string of the whole table). */
function writeCsv(path: string, table: EncodedTable): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, table.domain.attrs.join(',') + '\n');
    const block = 10_000;
    const row = new Array<number>(table.columns.length);
    for (let start = 0; start < table.rowCount; start += block) {
      const lines: string[] = [];
      const end = Math.min(table.rowCount, start + block);
      for (let i = start; i < end; i++) {
        for (let j = 0; j < row.length; j++) row[j] = table.columns[j][i];
        lines.push(row.join(','));
      }
      writeSync(fd, lines.join('\n') + '\n');
    }
  } finally {
    closeSync(fd);
  }
}

export function register(program: Command): void {
  program
    .command('generate')
    .description(
      'Write a table of known structure: a random Bayesian network (seeded, deterministic) and rows\n' +
        'sampled from it. Writes DIR/data.csv (integer codes), DIR/domain.json ({column: size}) and\n' +
        'DIR/structure.json (topological order and each column\'s planted parents).',
    )
    .option('--columns <n>', 'number of columns (named c0, c1, ...)', '24')
    .option('--sizes <s>', 'domain sizes: MIN-MAX (drawn uniformly) or a comma list, one per column', '2-16')
    .option('--parents <k>', 'maximum parents per column', '3')
    .option('--rows <n>', 'rows to sample', '50000')
    .option('--strength <s>', 'dependence strength (0 = independent columns)', '1')
    .option('--seed <s>', 'seed of the network and of the rows', '1')
    .requiredOption('--out <dir>', 'output directory')
    .addHelpText('after', '\nExample:\n  fedsynth generate --columns 40 --sizes 2-16 --parents 3 --rows 50000 --seed 1 --out gen40/')
    .action((f: GenerateFlags) => {
      const spec: RandomBayesNetSpec = {
        columns: numberOption(f.columns, '--columns', { integer: true, min: 1 }) as number,
        sizes: parseSizes(f.sizes),
        maxParents: numberOption(f.parents, '--parents', { integer: true, min: 0 }) as number,
        strength: numberOption(f.strength, '--strength', { min: 0 }) as number,
      };
      const rows = numberOption(f.rows, '--rows', { integer: true, min: 0 }) as number;
      const net = randomBayesNet(spec, seededRandomSource(f.seed, 'bayesnet/network'));
      const table = sampleBayesNet(net, rows, seededRandomSource(f.seed, 'bayesnet/rows'));
      mkdirSync(f.out, { recursive: true });
      writeCsv(join(f.out, 'data.csv'), table);
      writeFileSync(join(f.out, 'domain.json'), JSON.stringify(net.domain.toJSON()) + '\n');
      writeFileSync(join(f.out, 'structure.json'), JSON.stringify({ generator: 'RandomBayesNet', seed: f.seed, ...spec, rows, ...bayesNetStructureJson(net) }, null, 1) + '\n');
      process.stdout.write(JSON.stringify({ out: f.out, columns: spec.columns, rows, cells: net.domain.shape }) + '\n');
    });
}
