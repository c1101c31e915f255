// The `fedsynth schema` command: infer a schema proposal from a public/sample file, check a data
// source against a schema (report to this operator only), and print the Domain a schema defines.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { schemaDomain } from '../../shared/schema/columnLayout.js';
import { formatProblem, type OnInvalid } from '../../shared/schema/ValidationReport.js';
import { loadSchemaFile } from '../../party-agent/data/loadSchemaFile.js';
import { openSource } from '../../party-agent/data/openSource.js';
import type { SourceConfig } from '../../party-agent/data/SourceConfig.js';
import { epsilonFromRho } from '../../shared/dp/accounting/cdpConversion.js';
import { proposeSchema, type ProposalNotice, type PublicRange, type ReleaseAccount } from '../../party-agent/release/proposeSchema.js';

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

/** Checks --dp-rho and parses the --public-range values (before anything is read or charged). */
function parseDpRequest(rhoText: string, ranges: readonly string[]): { rho: number; ranges: PublicRange[] } {
  const rho = Number(rhoText);
  if (!(rho > 0) || !Number.isFinite(rho)) throw new FedsynthError(ErrorCode.InvalidArgument, `--dp-rho must be a positive number, got "${rhoText}"`);
  const parsed = ranges.map((r) => {
    const m = /^(.+)=(-?[0-9.eE+-]+):(-?[0-9.eE+-]+)$/.exec(r);
    if (!m || !(Number(m[2]) < Number(m[3]))) throw new FedsynthError(ErrorCode.InvalidArgument, `--public-range must be col=lo:hi with lo < hi, got "${r}"`);
    return { name: m[1]!, lo: Number(m[2]), hi: Number(m[3]) };
  });
  if (parsed.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, '--dp-rho needs at least one --public-range col=lo:hi');
  return { rho, ranges: parsed };
}

/** Prints each step of a proposal on stderr (stdout carries the schema). */
function printNotice(n: ProposalNotice): void {
  switch (n.kind) {
    case 'unaccounted':
      process.stderr.write('fedsynth: --no-ledger: this DP release is charged to NO party\'s budget (you stated the data is not covered by one)\n');
      return;
    case 'reading':
      process.stderr.write(LEAK_WARNING);
      return;
    case 'charged':
      process.stderr.write(
        `fedsynth: charged rho = ${n.rho} (epsilon = ${epsilonFromRho(n.rho, n.delta)} at delta = ${n.delta}) to the ledger of party ` +
          `'${n.party}', dataset '${n.dataset}', study ${n.studyId} (${n.ledgerPath}); ` +
          `lifetime spent: rho = ${n.lifetimeSpent}\n`,
      );
      return;
    case 'released':
      process.stderr.write(
        `fedsynth: DP quantile edges (Smith 2011 exponential mechanism) for ${n.columns.join(', ')}: rho spent = ${n.spent} ` +
          `(epsilon = ${epsilonFromRho(n.spent, n.delta)} at delta = ${n.delta})\n`,
      );
  }
}

/** Who pays for --dp-rho: --config AGENT.json (its ledger) or an explicit --no-ledger. */
function releaseAccount(configFile: string | undefined, ledgerWanted: boolean): ReleaseAccount {
  if (configFile === undefined && ledgerWanted) {
    throw new FedsynthError(
      ErrorCode.InvalidArgument,
      '--dp-rho spends privacy budget of the data, which must be accounted on the party\'s ledger: give --config AGENT.json ' +
        '(the party agent\'s config; the rho is charged to its ledger before anything is computed), or --no-ledger to state ' +
        'that this data is not covered by any party\'s budget (e.g. a public or synthetic sample)',
      { field: '--config' },
    );
  }
  if (configFile !== undefined && !ledgerWanted) throw new FedsynthError(ErrorCode.InvalidArgument, 'give --config or --no-ledger, not both');
  return configFile === undefined ? { kind: 'none' } : { kind: 'ledger', configFile };
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
    .option('--dp-rho <rho>', 'choose edges of --public-range columns by DP quantiles, spending this zCDP rho in total')
    .option('--public-range <col=lo:hi...>', 'a PUBLIC range for a numeric column (repeatable), needed by --dp-rho')
    .option('--config <agent.json>', "with --dp-rho: the party agent's config; the rho is charged to its budget ledger (and audit log) first")
    .option('--no-ledger', 'with --dp-rho and no --config: state that the data is covered by no party\'s budget (public/synthetic sample)')
    .addHelpText(
      'after',
      '\n--dp-rho is a privacy release like any other: it needs --config AGENT.json, whose ledger is charged\n' +
        'before the DP quantiles are computed (a charge over the caps is refused and nothing is written), or\n' +
        'an explicit --no-ledger. Stop the agent first: its audit log has a single writer. See docs/data.md.\n' +
        'Example:\n  fedsynth schema infer --data sample.csv --dp-rho 0.05 --public-range age=0:120 --config agent.json --out schema.json',
    )
    .action(
      async (o: { data: string; bins: string; maxCategories: string; out?: string; dpRho?: string; publicRange?: string[]; config?: string; ledger: boolean }) => {
        const bins = positiveInt(o.bins, 'bins');
        const maxCategories = positiveInt(o.maxCategories, 'max-categories');
        if (o.dpRho === undefined && (o.config !== undefined || !o.ledger)) {
          throw new FedsynthError(ErrorCode.InvalidArgument, '--config and --no-ledger only apply with --dp-rho');
        }
        const dp = o.dpRho === undefined ? undefined : { ...parseDpRequest(o.dpRho, o.publicRange ?? []), account: releaseAccount(o.config, o.ledger) };
        const proposal = await proposeSchema({ data: o.data, bins, maxCategories, dp }, printNotice);
        const text = JSON.stringify(proposal, null, 2) + '\n';
        if (o.out) await writeFile(o.out, text);
        else process.stdout.write(text);
      },
    );

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
