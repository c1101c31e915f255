// The `fedsynth simulate` command: one command runs a whole consortium (coordinator + N party
// agents, real gRPC over mTLS on 127.0.0.1) on a table split among simulated parties.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { mechanismListOption, studyParameterOptions, trainingOption, type TrainingFlags } from '../util/studyParameterOptions.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { parsePartySplit } from '../../shared/data/splitParties.js';
import { readJsonFile, readTextFile, numberOption } from '../util/readInput.js';
import { makeLogger } from '../../platform/logging/logging.js';
import { Progress } from '../util/Progress.js';
import { runSimulation } from '../../simulation/runSimulation.js';
import { runComparison } from '../../simulation/runComparison.js';
import { parseBudgetSplit } from '../../shared/study/BudgetSplit.js';
import { encodeRawCsv } from '../../simulation/encodeRawCsv.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import type { OnInvalid } from '../../shared/schema/ValidationReport.js';

interface SimulateFlags extends TrainingFlags {
  data: string;
  domain?: string;
  schema?: string;
  onInvalid: string;
  parties: string;
  split: string;
  epsilon: string;
  delta: string;
  mechanism: string;
  aggregation: string;
  rows?: string;
  seed?: string;
  out: string;
  drop: string;
  colluders: string;
  neighbours: string;
  budgetSplit?: string;
  target?: string;
  controlShare?: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  const simulate = program
    .command('simulate')
    .description(
      'Run a whole consortium in one command: split a table among N simulated parties, start a real\n' +
        'coordinator and N party agents (gRPC over mutual TLS on 127.0.0.1), run one study, and write\n' +
        'DIR/synthetic.csv, DIR/run.json (as signed by the coordinator: privacy spent, rounds, timings,\n' +
        'dropped parties), DIR/simulate.json (split, seed, party sizes, wall time). For research and tests;\n' +
        '`--seed` makes it reproducible.\n\n' +
        'Compare models: --mechanism aim,dpsgd (any comma list) runs one study per mechanism on the same\n' +
        'parties and ledgers, under --budget-split equal (default: each gets epsilon/k, delta/k of the one\n' +
        'total budget) or each (each its own full budget: the combined release costs k times it). Writes\n' +
        'DIR/synthetic-<m>.csv, DIR/model-<m>.json, the signed outputs in DIR/<m>/, and DIR/report.json +\n' +
        'DIR/report.html with the models side by side and the budget each used.',
    )
    .requiredOption('--data <file.csv>', 'CSV with a header: integer codes (with --domain) or raw values (with --schema)')
    .option('--domain <file.json>', 'domain file {column: number of codes} for integer-coded data')
    .option('--schema <file.json>', 'consortium schema for raw data (e.g. data/adult-raw.schema.json); outputs are decoded')
    .option('--on-invalid <policy>', 'raw data that does not fit the schema: fail | drop-row | map-to-missing', 'fail')
    .option('--parties <n>', 'number of simulated parties', '3')
    .option('--split <how>', 'random | column:NAME | dirichlet:ALPHA (skew on the last column) | dirichlet:ALPHA:COLUMN (skew on COLUMN)', 'random');
  studyParameterOptions(simulate)
    .option('--rows <n>', 'synthetic rows (default: as many as the input)')
    .option('--seed <s>', 'make every random choice reproducible (simulation only)')
    .option('--out <dir>', 'output directory', 'fedsynth-out')
    .option('--drop <k>', 'make K parties drop out mid-study', '0')
    .option('--colluders <f>', 'parties that may collude with the coordinator (noise is planned for them)', '0')
    .option('--neighbours <k>', 'masking: SecAgg+ neighbours per party (even; 0 = automatic: full graph up to 64 parties)', '0')
    .option('--budget-split <how>', 'comparing mechanisms: equal (one total budget, epsilon/k and delta/k each) | each (every mechanism its own full budget)')
    .option('--target <column>', 'comparing mechanisms: the column the utility evaluation predicts (default: the last column)')
    .option('--control-share <f>', 'comparing mechanisms: share of the rows held back before the split as control rows for the risk evaluation (default 0.2)')
    .option('--quiet', 'no progress display')
    .addHelpText(
      'after',
      '\nExample:\n  fedsynth simulate --data data/adult.csv --domain data/adult-domain.json --parties 10 \\\n' +
        '    --split dirichlet:0.5 --epsilon 1 --delta 1e-9 --mechanism aim --aggregation masking --seed 1 --out out/',
    )
    .action(async (f: SimulateFlags) => {
      const parties = numberOption(f.parties, '--parties', { integer: true, min: 1, max: 1000 })!;
      const epsilon = numberOption(f.epsilon, '--epsilon', { exclusiveMin: 0 })!;
      const delta = numberOption(f.delta, '--delta', { exclusiveMin: 0, max: 0.5 })!;
      const drop = numberOption(f.drop, '--drop', { integer: true, min: 0 })!;
      const colluders = numberOption(f.colluders, '--colluders', { integer: true, min: 0 })!;
      const neighbours = numberOption(f.neighbours, '--neighbours', { integer: true, min: 0 })!;
      if (neighbours > 0 && f.aggregation !== 'masking') throw new FedsynthError(ErrorCode.InvalidArgument, '--neighbours applies to --aggregation masking only');
      const mechanisms = mechanismListOption(f.mechanism);
      const comparing = mechanisms.length > 1;
      if (!comparing && f.budgetSplit !== undefined) {
        throw new FedsynthError(ErrorCode.InvalidArgument, `--budget-split applies when comparing two or more mechanisms (e.g. --mechanism aim,dpsgd); --mechanism ${f.mechanism} names one`, { field: '--budget-split' });
      }
      for (const [flag, v] of [['--target', f.target], ['--control-share', f.controlShare]] as const) {
        if (!comparing && v !== undefined) throw new FedsynthError(ErrorCode.InvalidArgument, `${flag} applies when comparing two or more mechanisms (e.g. --mechanism aim,dpsgd)`, { field: flag });
      }
      const budgetSplit = comparing ? parseBudgetSplit(f.budgetSplit ?? 'equal') : undefined;
      const controlShare = numberOption(f.controlShare ?? '0.2', '--control-share', { min: 0, max: 0.5 })!;
      const training = trainingOption(mechanisms, f);
      if (!['plain', 'masking', 'he'].includes(f.aggregation)) throw new FedsynthError(ErrorCode.InvalidArgument, `--aggregation must be masking, he or plain, got '${f.aggregation}'`);
      const split = parsePartySplit(f.split);
      if ((f.domain === undefined) === (f.schema === undefined)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, 'give exactly one of --domain (integer codes) or --schema (raw data)');
      }
      if (!['fail', 'drop-row', 'map-to-missing'].includes(f.onInvalid)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, `--on-invalid must be fail, drop-row or map-to-missing, got '${f.onInvalid}'`);
      }
      let domain: Domain;
      let table: EncodedTable;
      let schemaJson: string | undefined;
      let values: (Float64Array | null)[] | undefined;
      if (f.schema !== undefined) {
        const raw = readJsonFile(f.schema, 'schema file');
        const schema = parseSchema(raw);
        schemaJson = JSON.stringify(raw);
        readTextFile(f.data, 'data file').length;
        const enc = await encodeRawCsv(f.data, schema, f.onInvalid as OnInvalid);
        if (enc.rowsDropped > 0 || enc.cellsMappedToMissing > 0) {
          process.stderr.write(`${f.data}: ${enc.rowsDropped} rows dropped, ${enc.cellsMappedToMissing} cells mapped to missing (--on-invalid ${f.onInvalid})\n`);
        }
        domain = enc.domain;
        table = enc.table;
        values = enc.values;
      } else {
        const domainJson = readJsonFile(f.domain!, 'domain file');
        try {
          domain = Domain.fromJson(domainJson as Record<string, number>);
        } catch (e) {
          throw new FedsynthError(ErrorCode.InvalidDomain, `domain file ${f.domain}: ${(e as Error).message}`, { file: f.domain });
        }
        const text = readTextFile(f.data, 'data file');
        try {
          table = EncodedTable.fromCsv(text, domain);
        } catch (e) {
          const err = e as FedsynthError;
          throw new FedsynthError(err.code ?? ErrorCode.InvalidData, `${f.data}: ${err.message}`, { file: f.data, ...(err.details ?? {}) });
        }
      }
      const rows = numberOption(f.rows, '--rows', { integer: true, min: 1 }) ?? table.rowCount;
      const out = resolve(f.out);
      const log = makeLogger({ file: join(out, 'simulate.log'), name: 'simulate' });
      const common = {
        table,
        domain,
        parties,
        split,
        splitText: f.split,
        epsilon,
        delta,
        training,
        aggregation: f.aggregation as 'plain' | 'masking' | 'he',
        rows,
        seed: f.seed,
        out,
        drop,
        colluders,
        neighbours,
        schemaJson,
        values,
        log,
        progress: new Progress(process.stderr, Boolean(f.quiet)),
      };
      if (budgetSplit !== undefined) {
        const { report } = await runComparison({ ...common, mechanisms, budgetSplit, target: f.target, controlShare });
        const models = report.models.map((m) => ({ mechanism: m.mechanism, synthetic: join(out, m.files.synthetic), budget: m.budget, spent: m.spent, tv: m.report.fidelity.tv.map((t) => t.avg) }));
        process.stdout.write(`${JSON.stringify({ out, report: join(out, 'report.html'), budget: report.budget.statement, combined: report.budget.combined, models })}\n`);
        return;
      }
      const { run } = await runSimulation({ ...common, mechanism: mechanisms[0] });
      process.stdout.write(`${JSON.stringify({ out, synthetic: join(out, 'synthetic.csv'), privacy: run.privacy, rounds: run.rounds, seconds: (run.timings as { totalSeconds: number }).totalSeconds })}\n`);
    });
}
