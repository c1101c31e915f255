// The `fedsynth evaluate` command: scores synthetic data against real data (TV over 1/2/3-way
// marginals, printed like the reference scorer test/reference/tvscore.mjs) and optionally writes report.json/report.html.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { parseDomainJson, type EvalDomain } from '../../shared/eval/parseDomainJson.js';
import { parseCodeCsv } from '../../shared/eval/parseCodeCsv.js';
import type { CodeTable } from '../../shared/eval/CodeTable.js';
import { totalVariation } from '../../shared/eval/totalVariation.js';
import { tvScoreRecord } from '../../shared/eval/tvScoreRecord.js';
import { evaluateParty } from '../../shared/eval/evaluateParty.js';
import { buildReportJson } from '../../shared/eval/buildReportJson.js';
import type { PrivacySpent } from '../../shared/eval/EvaluationReport.js';
import { loadRawTables } from '../evaluation/loadRawTables.js';
import { writeReportFiles } from '../../platform/report/writeReportFiles.js';
import type { Schema } from '../../shared/schema/ConsortiumSchema.js';
import { codeLabels } from '../../shared/schema/codeLabels.js';
import { evaluateRisk } from '../../shared/eval/risk/evaluateRisk.js';
import { riskFigures } from '../../shared/eval/risk/riskFigures.js';
import type { RiskFigures } from '../../shared/eval/RiskFigures.js';
import { continuousWasserstein, type ColumnWasserstein } from '../../shared/eval/continuousWasserstein.js';

interface EvaluateOptions {
  real: string;
  synth: string;
  domain?: string;
  schema?: string;
  maxWay: string;
  holdout?: string;
  control?: string;
  privacy?: boolean;
  attacks: string;
  ordinal?: string;
  target?: string;
  report?: string;
  seed: string;
  rho?: string;
  epsilon?: string;
  delta?: string;
  subgroups?: string;
}

/** --subgroups: a comma-separated list of columns, or 'none'; undefined keeps the default. */
function parseSubgroups(s: string | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  if (s.trim() === 'none') return [];
  return s.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
}

function optionalNumber(s: string | undefined, name: string): number | undefined {
  if (s === undefined) return undefined;
  const v = Number(s);
  if (!Number.isFinite(v) || v < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `${name} must be a non-negative number, got ${JSON.stringify(s)}`);
  return v;
}

/** Runs the full local evaluation and writes report.json and report.html into `dir`. */
function writeReport(opts: EvaluateOptions, real: CodeTable, synth: CodeTable, domain: EvalDomain, schema: Schema | null, maxWay: number, risk: RiskFigures | null, wasserstein: readonly ColumnWasserstein[] | null): void {
  const holdout = !opts.holdout ? null : opts.schema ? loadRawTables(opts.schema, { holdout: opts.holdout }).holdout : loadTable(opts.holdout, domain, 'holdout');
  const categorical = schema ? schema.columns.map((c) => c.type === 'categorical') : undefined;
  const subgroupColumns = parseSubgroups(opts.subgroups);
  const evaluation = evaluateParty({ train: real, holdout, synth, target: opts.target ?? null, maxWay, seed: opts.seed, categorical, subgroupColumns });
  const spent: PrivacySpent = { rho: optionalNumber(opts.rho, '--rho'), epsilon: optionalNumber(opts.epsilon, '--epsilon'), delta: optionalNumber(opts.delta, '--delta') };
  const hasSpent = Object.values(spent).some((v) => v !== undefined);
  const report = buildReportJson({
    title: 'fedsynth evaluation report',
    labels: schema ? codeLabels(schema) : null,
    evaluation,
    privacySpent: hasSpent ? spent : null,
    parameters: { real: opts.real, synthetic: opts.synth, holdout: opts.holdout ?? '(none)', target: opts.target ?? '(none)', maxWay, seed: opts.seed },
    risk: risk && { risk, riskPerSilo: [] },
    wasserstein,
  });
  writeReportFiles(opts.report as string, report);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new FedsynthError(ErrorCode.NotFound, `${what} ${path}: cannot read (${code})`, { file: path });
  }
}

function loadTable(path: string, domain: EvalDomain, what: string): CodeTable {
  return parseCodeCsv(readText(path, what), domain, `${what} ${path}`);
}

function parseMaxWay(s: string): number {
  const k = Number(s);
  if (!Number.isInteger(k) || k < 1 || k > 3) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `--max-way must be 1, 2 or 3, got ${JSON.stringify(s)}`);
  }
  return k;
}

/** Ordinal columns: from the schema (numeric, integer, date columns) or named in --ordinal. */
function ordinalColumns(domain: EvalDomain, schema: Schema | null, list: string | undefined): boolean[] {
  const out = domain.columns.map((c, i) => (schema ? schema.columns[i].type !== 'categorical' : false));
  for (const name of (list ?? '').split(',').filter((x) => x !== '')) {
    const i = domain.columns.indexOf(name);
    if (i < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `--ordinal: column ${JSON.stringify(name)} is not in the domain`, { field: '--ordinal' });
    out[i] = true;
  }
  return out;
}

function parseAttacks(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `--attacks must be a positive integer, got ${JSON.stringify(s)}`, { field: '--attacks' });
  return n;
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description(
      'Compare synthetic with real data. Prints total variation over every 1-, 2- and 3-way marginal\n' +
        '(the reference scorer\'s statistic and JSON keys; docs/evaluation.md) as one JSON line.',
    )
    .requiredOption('--real <csv>', 'real rows: integer codes, header naming every domain column')
    .requiredOption('--synth <csv>', 'synthetic rows, same format')
    .option('--domain <json>', 'domain file {column: size} in column order (CSVs of integer codes)')
    .option('--schema <json>', 'consortium schema: the CSVs hold raw values (labels, numbers, dates), encoded with it')
    .option('--max-way <k>', 'largest marginal size scored (1..3)', '3')
    .option('--report <dir>', 'also run every metric and write report.json and report.html into <dir>')
    .option('--holdout <csv>', 'real rows withheld from synthesis (enables DCR share, MIA, TV ceiling)')
    .option('--control <csv>', 'control rows: real rows never used in training (the reference of --privacy; defaults to --holdout)')
    .option('--privacy', 'also run the Anonymeter-style risk evaluation (singling out, linkability, inference, MIA) against --control')
    .option('--attacks <n>', 'target rows per attack of --privacy (sampled)', '2000')
    .option('--ordinal <columns>', 'comma-separated columns whose codes are ordered (with --domain; --schema knows them)')
    .option('--target <column>', 'column to predict for TSTR/TRTR utility')
    .option('--seed <s>', 'seed of the evaluation (splits, model training, samples)', 'fedsynth-eval')
    .option('--subgroups <columns>', "columns split into subgroups for subgroup fidelity (comma-separated, or 'none'); default: every categorical column with < 50 values")
    .option('--rho <r>', 'privacy spent, shown in the report (zCDP rho)')
    .option('--epsilon <e>', 'privacy spent, shown in the report')
    .option('--delta <d>', 'privacy spent, shown in the report')
    .action((opts: EvaluateOptions) => {
      const maxWay = parseMaxWay(opts.maxWay);
      if ((opts.domain === undefined) === (opts.schema === undefined)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, 'give exactly one of --domain (integer codes) or --schema (raw values)', { field: '--domain' });
      }
      const controlPath = opts.control ?? opts.holdout;
      if (opts.privacy && controlPath === undefined) {
        throw new FedsynthError(ErrorCode.InvalidArgument, '--privacy needs --control (real rows never used in training)', { field: '--control' });
      }
      const attacks = parseAttacks(opts.attacks);
      let domain: EvalDomain;
      let real: CodeTable;
      let synth: CodeTable;
      let schema: Schema | null = null;
      let wasserstein: ColumnWasserstein[] | null = null;
      if (opts.schema !== undefined) {
        const raw = loadRawTables(opts.schema, { real: opts.real, synthetic: opts.synth });
        [domain, real, synth, schema] = [raw.domain, raw.real, raw.synthetic, raw.schema];
        wasserstein = continuousWasserstein(raw.schema, raw.values.real, raw.values.synthetic);
      } else {
        domain = parseDomainJson(readText(opts.domain as string, 'domain'), opts.domain as string);
        real = loadTable(opts.real, domain, 'real');
        synth = loadTable(opts.synth, domain, 'synthetic');
      }
      const ordinal = ordinalColumns(domain, schema, opts.ordinal);
      const summary = totalVariation(real, synth, maxWay);
      // With a schema: each continuous column's range-normalized Wasserstein distance of the values.
      const w = wasserstein && wasserstein.length > 0 ? { wasserstein: Object.fromEntries(wasserstein.map((c) => [c.column, c.distance])) } : {};
      const record = { ...tvScoreRecord(summary, real.rows, synth.rows), ...w };
      let risk: RiskFigures | null = null;
      if (opts.privacy) {
        const control = opts.schema ? loadRawTables(opts.schema, { control: controlPath as string }).control : loadTable(controlPath as string, domain, 'control');
        const report = evaluateRisk(real, control, synth, { seed: opts.seed, attacks, ordinal });
        risk = riskFigures(report, null);
        const so = report.singlingOut;
        const details = {
          singlingOutComparedRows: so?.comparedRows ?? null,
          singlingOutExtrapolated: so ? { risk: so.extrapolated.risk, ci: so.extrapolated.ci, sizeCorrection: so.extrapolated.sizeCorrection } : null,
          univariateSinglingOut: so?.univariate ?? null,
          closestRecord: report.closest,
          seconds: report.seconds,
        };
        process.stdout.write(JSON.stringify({ ...record, ...risk, details }) + '\n');
      } else {
        process.stdout.write(JSON.stringify(record) + '\n');
      }
      if (opts.report) writeReport(opts, real, synth, domain, schema, maxWay, risk, wasserstein);
    });
}
