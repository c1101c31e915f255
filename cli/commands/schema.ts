// The `fedsynth schema` command: infer a schema proposal from a public/sample file, check a data
// source against a schema (report to this operator only), and print the Domain a schema defines.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { inferSchema } from '../../shared/schema/inferSchema.js';
import { schemaDomain } from '../../shared/schema/columnLayout.js';
import { formatProblem, type OnInvalid } from '../../shared/schema/ValidationReport.js';
import { summarizeColumns } from '../../party-agent/data/summarizeColumns.js';
import { loadSchemaFile } from '../../party-agent/data/loadSchemaFile.js';
import { openSource } from '../../party-agent/data/openSource.js';
import type { SourceConfig } from '../../party-agent/data/SourceConfig.js';

const LEAK_WARNING =
  'fedsynth: WARNING: the proposed schema copies categories, ranges and bin edges from the data.\n' +
  '  Inferring them from PRIVATE data leaks those values (a rare category or an extreme value can\n' +
  '  identify a person). Use a public or synthetic sample, and review the proposal before sharing it.\n';

function positiveInt(v: string, name: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `--${name} must be a positive integer, got "${v}"`);
  return n;
}

async function sourceFromArgs(opts: { data?: string; source?: string; delimiter?: string }): Promise<SourceConfig> {
  if ((opts.data === undefined) === (opts.source === undefined)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'give exactly one of --data FILE or --source CONFIG.json');
  }
  if (opts.data !== undefined) {
    return /\.parquet$/i.test(opts.data)
      ? { kind: 'parquet', path: opts.data }
      : { kind: 'csv', path: opts.data, delimiter: opts.delimiter ?? ',' };
  }
  try {
    return JSON.parse(await readFile(opts.source!, 'utf8')) as SourceConfig;
  } catch (e) {
    throw new FedsynthError(ErrorCode.InvalidConfig, `cannot read source config ${opts.source}: ${(e as Error).message}`);
  }
}

export function register(program: Command): void {
  const schema = program
    .command('schema')
    .description('Consortium schema tools: infer a proposal, check local data, print the model domain.');

  schema
    .command('infer')
    .description('Propose a schema from a PUBLIC or sample CSV/Parquet file (warns: inferring from private data leaks).')
    .requiredOption('--data <file>', 'CSV (with header) or .parquet file')
    .option('--bins <n>', 'equal-width bins for wide numeric columns', '10')
    .option('--max-categories <n>', 'categories kept per column (the rest map to "other")', '100')
    .option('--out <file>', 'write the schema here instead of stdout')
    .action(async (o: { data: string; bins: string; maxCategories: string; out?: string }) => {
      process.stderr.write(LEAK_WARNING);
      const bins = positiveInt(o.bins, 'bins');
      const maxCategories = positiveInt(o.maxCategories, 'max-categories');
      const summaries = await summarizeColumns(o.data, maxCategories);
      const proposal = inferSchema(summaries, { bins, maxCategories });
      const text = JSON.stringify(proposal, null, 2) + '\n';
      if (o.out) await writeFile(o.out, text);
      else process.stdout.write(text);
    });

  schema
    .command('check')
    .description('Validate local data against the schema; problems are shown to this operator only.')
    .requiredOption('--schema <file>', 'consortium schema (JSON)')
    .option('--data <file>', 'CSV or .parquet file')
    .option('--source <config.json>', 'a data source config (csv, parquet or postgres)')
    .option('--delimiter <c>', 'CSV delimiter', ',')
    .option('--on-invalid <policy>', 'fail | drop-row | map-to-missing', 'fail')
    .option('--json', 'print the full report as JSON')
    .action(async (o: { schema: string; data?: string; source?: string; delimiter: string; onInvalid: string; json?: boolean }) => {
      if (!['fail', 'drop-row', 'map-to-missing'].includes(o.onInvalid)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, `--on-invalid must be fail, drop-row or map-to-missing, got "${o.onInvalid}"`);
      }
      const s = await loadSchemaFile(o.schema);
      const src = await openSource(await sourceFromArgs(o), s, { onInvalid: o.onInvalid as OnInvalid });
      try {
        const r = await src.validate();
        if (o.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else {
          process.stdout.write(
            `${r.source}: ${r.ok ? 'OK' : 'INVALID'} (policy ${r.policy}): ${r.recordsRead} records, ${r.rowsUsed} used, ` +
              `${r.rowsDropped} dropped, ${r.cellsMappedToMissing} cells mapped to missing, ${r.malformedLines} malformed lines\n`,
          );
          for (const [col, c] of Object.entries(r.invalidByColumn)) {
            process.stdout.write(`  column "${col}": ${c.missing} missing, ${c.outOfDomain} out of domain, ${c.wrongType} wrong type\n`);
          }
          for (const p of r.problems) process.stdout.write(`  ${formatProblem(p)}\n`);
        }
        if (!r.ok) throw new FedsynthError(ErrorCode.InvalidData, `${r.source}: data does not match the schema`, { source: r.source });
      } finally {
        await src.close();
      }
    });

  schema
    .command('domain')
    .description('Print the model Domain {column: number of codes} that a schema defines.')
    .requiredOption('--schema <file>', 'consortium schema (JSON)')
    .action(async (o: { schema: string }) => {
      process.stdout.write(JSON.stringify(schemaDomain(await loadSchemaFile(o.schema))) + '\n');
    });
}
