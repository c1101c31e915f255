// The `fedsynth schema` command: infer a schema proposal from a public/sample file, check a data
// source against a schema (report to this operator only), and print the Domain a schema defines.
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { inferSchema } from '../../shared/schema/inferSchema.js';
import { schemaDomain } from '../../shared/schema/columnLayout.js';
import { formatProblem, type OnInvalid } from '../../shared/schema/ValidationReport.js';
import { summarizeColumns, valueHistogram } from '../../party-agent/data/summarizeColumns.js';
import { dpQuantileEdges } from '../../shared/schema/dpQuantileEdges.js';
import { parseSchema, type Schema } from '../../shared/schema/ConsortiumSchema.js';
import { cryptoRandomSource } from '../../shared/dp/random/RandomSource.js';
import { loadSchemaFile } from '../../party-agent/data/loadSchemaFile.js';
import { openSource } from '../../party-agent/data/openSource.js';
import type { SourceConfig } from '../../party-agent/data/SourceConfig.js';
import { epsilonFromRho } from '../../shared/dp/accounting/cdpConversion.js';
import { loadAgentConfig } from '../../party-agent/config/AgentConfig.js';
import type { BudgetLedger } from '../../party-agent/ledger/BudgetLedger.js';
import { agentDelta, agentLedgerPath, chargeAndAudit, openAgentAuditForCommand, openAgentLedger } from '../../party-agent/ledger/agentLedger.js';

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

interface PublicRange {
  readonly name: string;
  readonly lo: number;
  readonly hi: number;
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

/** Every --public-range column must be a numeric or integer column of the proposal. */
function checkRangeColumns(schema: Schema, ranges: readonly PublicRange[]): void {
  for (const p of ranges) {
    const c = schema.columns.find((x) => x.name === p.name);
    if (!c) throw new FedsynthError(ErrorCode.InvalidArgument, `--public-range: unknown column ${p.name}`);
    if (c.type !== 'numeric' && c.type !== 'integer') {
      throw new FedsynthError(ErrorCode.InvalidArgument, `--public-range ${c.name}: not a numeric column in the proposal`);
    }
  }
}

/** Replaces the edges of the range columns by DP quantile edges; returns the schema and the rho spent. */
async function dpEdges(schema: Schema, data: string, bins: number, rho: number, ranges: readonly PublicRange[]): Promise<{ schema: Schema; spent: number }> {
  const rng = cryptoRandomSource();
  const perColumn = rho / ranges.length;
  let spent = 0;
  const columns = [];
  for (const c of schema.columns) {
    const r = ranges.find((p) => p.name === c.name);
    if (!r || (c.type !== 'numeric' && c.type !== 'integer')) {
      columns.push(c);
      continue;
    }
    const e = dpQuantileEdges(await valueHistogram(data, c.name), r.lo, r.hi, bins, perColumn, rng, c.type === 'integer');
    spent += e.rho;
    const { min: _min, max: _max, ...rest } = c as typeof c & { min?: number; max?: number };
    columns.push({ ...rest, edges: e.edges, outOfDomain: 'clamp' as const });
  }
  return { schema: parseSchema({ ...schema, columns }), spent };
}

/** Where a DP inference is accounted: a party's ledger (from its agent config), or nowhere (--no-ledger). */
interface DpAccount {
  readonly delta: number;
  /** Charges before the release; a refusal throws (BUDGET_EXCEEDED) and nothing is computed. */
  charge(rho: number, label: string): void;
  close(): void;
}

const NO_LEDGER_DELTA = 1e-9;

async function dpAccount(configFile: string | undefined, ledgerWanted: boolean): Promise<DpAccount> {
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
  if (configFile === undefined) {
    process.stderr.write('fedsynth: --no-ledger: this DP release is charged to NO party\'s budget (you stated the data is not covered by one)\n');
    return { delta: NO_LEDGER_DELTA, charge: () => undefined, close: () => undefined };
  }
  const config = await loadAgentConfig(configFile);
  const audit = openAgentAuditForCommand(config);
  let ledger: BudgetLedger;
  try {
    ledger = openAgentLedger(config);
  } catch (e) {
    audit.close();
    throw e;
  }
  const delta = agentDelta(config);
  return {
    delta,
    charge: (rho, label) => {
      const studyId = `schema-inference/${new Date().toISOString()}`;
      chargeAndAudit(ledger, audit, { studyId, idempotencyKey: `${studyId}/${randomUUID()}`, rho, label });
      const life = ledger.lifetimeSpent();
      process.stderr.write(
        `fedsynth: charged rho = ${rho} (epsilon = ${epsilonFromRho(rho, delta)} at delta = ${delta}) to the ledger of party ` +
          `'${config.party.id}', dataset '${config.dataset.id}', study ${studyId} (${agentLedgerPath(config)}); ` +
          `lifetime spent: rho = ${life}\n`,
      );
    },
    close: () => {
      ledger.close();
      audit.close();
    },
  };
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
        const dp = o.dpRho === undefined ? undefined : parseDpRequest(o.dpRho, o.publicRange ?? []);
        const account = dp === undefined ? undefined : await dpAccount(o.config, o.ledger);
        try {
          process.stderr.write(LEAK_WARNING);
          const summaries = await summarizeColumns(o.data, maxCategories);
          let proposal = inferSchema(summaries, { bins, maxCategories });
          if (dp !== undefined && account !== undefined) {
            checkRangeColumns(proposal, dp.ranges);
            const names = dp.ranges.map((p) => p.name).join(', ');
            // Charged (durably) before the DP quantiles are computed: a refusal throws, nothing is written.
            account.charge(dp.rho, `schema infer: DP quantile edges of ${names}`);
            const r = await dpEdges(proposal, o.data, bins, dp.rho, dp.ranges);
            if (r.spent > dp.rho * (1 + 1e-9)) throw new FedsynthError(ErrorCode.Internal, `DP quantiles spent rho ${r.spent} > charged ${dp.rho}`);
            proposal = r.schema;
            process.stderr.write(
              `fedsynth: DP quantile edges (Smith 2011 exponential mechanism) for ${names}: rho spent = ${r.spent} ` +
                `(epsilon = ${epsilonFromRho(r.spent, account.delta)} at delta = ${account.delta})\n`,
            );
          }
          const text = JSON.stringify(proposal, null, 2) + '\n';
          if (o.out) await writeFile(o.out, text);
          else process.stdout.write(text);
        } finally {
          account?.close();
        }
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
