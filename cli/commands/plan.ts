// The `fedsynth plan` command: a privacy-utility plan before any real budget is spent — the mechanism run on
// public or stand-in data of the schema at several epsilons; JSON lines on stdout, plan.html with the curves.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { parseDomainJson } from '../../shared/eval/parseDomainJson.js';
import { parseCodeCsv } from '../../shared/eval/parseCodeCsv.js';
import { makeCodeTable } from '../../shared/eval/CodeTable.js';
import { sampleRows } from '../../shared/eval/sampleRows.js';
import { renderPlanHtml } from '../../shared/eval/renderPlanHtml.js';
import { privacyUtilityPlan } from '../../simulation/privacyUtilityPlan.js';

interface PlanFlags {
  data?: string;
  domain?: string;
  rows: string;
  epsilons: string;
  delta: string;
  parties: string;
  mechanism: string;
  target?: string;
  ordinal?: string;
  holdout: string;
  iters: string;
  attacks: string;
  seed: string;
  out: string;
}

/** A file bundled under data/ (source tree or built dist/ tree). */
function bundled(name: string): string {
  for (const rel of [`../../data/${name}`, `../../../data/${name}`]) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new FedsynthError(ErrorCode.NotFound, `bundled ${name} not found; pass --data and --domain`);
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new FedsynthError(ErrorCode.NotFound, `${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file: path });
  }
}

function number(v: string, flag: string, integer = false, min = -Infinity): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || (integer && !Number.isInteger(x)) || x < min) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(v)}`, { field: flag });
  }
  return x;
}

async function planCommand(f: PlanFlags): Promise<void> {
  if ((f.data === undefined) !== (f.domain === undefined)) throw new FedsynthError(ErrorCode.InvalidArgument, 'give both --data and --domain, or neither (bundled Adult)');
  const dataPath = f.data ?? bundled('adult.csv');
  const domainPath = f.domain ?? bundled('adult-domain.json');
  const domain = parseDomainJson(readText(domainPath, 'domain'), domainPath);
  let table = parseCodeCsv(readText(dataPath, 'data'), domain, `data ${dataPath}`);
  const rows = number(f.rows, '--rows', true, 0);
  if (rows > 0 && rows < table.rows) {
    const idx = sampleRows(table.rows, rows, f.seed, 'plan/rows');
    table = makeCodeTable(table.columns, table.sizes, table.data.map((c) => Int32Array.from(idx, (i) => c[i])));
  }
  const epsilons = f.epsilons.split(',').map((s) => number(s, '--epsilons'));
  if (epsilons.length === 0 || epsilons.some((e) => !(e > 0))) throw new FedsynthError(ErrorCode.InvalidArgument, '--epsilons: a comma list of positive numbers', { field: '--epsilons' });
  epsilons.sort((a, b) => a - b);
  if (f.mechanism !== 'mst' && f.mechanism !== 'aim') throw new FedsynthError(ErrorCode.InvalidArgument, `--mechanism must be mst or aim, got ${f.mechanism}`, { field: '--mechanism' });
  const column = (name: string, flag: string): number => {
    const i = table.columns.indexOf(name);
    if (i < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `${flag}: column ${JSON.stringify(name)} is not in the domain`, { field: flag });
    return i;
  };
  const target = f.target !== undefined ? column(f.target, '--target') : undefined;
  const ordinal = table.columns.map(() => false);
  for (const name of (f.ordinal ?? '').split(',').filter((s) => s !== '')) ordinal[column(name, '--ordinal')] = true;
  const parties = number(f.parties, '--parties', true, 1);
  const points = await privacyUtilityPlan({
    table,
    epsilons,
    delta: number(f.delta, '--delta'),
    parties,
    mechanism: f.mechanism,
    holdout: number(f.holdout, '--holdout'),
    target,
    ordinal,
    seed: f.seed,
    iters: number(f.iters, '--iters', true, 1),
    riskAttacks: number(f.attacks, '--attacks', true, 1),
    onPoint: (p) => process.stdout.write(JSON.stringify(p) + '\n'),
    onProgress: (m) => process.stderr.write(m + '\n'),
  });
  const source = f.data !== undefined ? `${f.data} (${table.rows} rows)` : `the bundled Adult table (${table.rows} rows)`;
  writeFileSync(f.out, renderPlanHtml({ points, source, parties }));
  process.stderr.write(`plan: wrote ${f.out}\n`);
}

export function register(program: Command): void {
  program
    .command('plan')
    .description(
      'Privacy-utility plan before any budget is spent: run the mechanism on public or stand-in data of the\n' +
        "consortium's schema at several epsilons and chart fidelity (TV), utility (TSTR) and risk against epsilon.",
    )
    .option('--data <csv>', 'stand-in table as integer-code CSV (default: the bundled Adult table)')
    .option('--domain <json>', 'its domain {column: size} (with --data)')
    .option('--rows <n>', 'use a random subsample of this many rows (0 = all)', '10000')
    .option('--epsilons <list>', 'comma list of epsilons to try', '0.25,0.5,1,2,4,8')
    .option('--delta <d>', 'delta of every point', '1e-9')
    .option('--parties <n>', 'simulated parties the rows are split among (random split)', '3')
    .option('--mechanism <m>', 'mst or aim', 'mst')
    .option('--target <column>', 'column predicted for TSTR utility (none: no utility curve)')
    .option('--ordinal <columns>', 'comma list of columns whose codes are ordered (risk predicates)')
    .option('--holdout <share>', 'share of rows held back as control (risk) and test (TSTR) rows', '0.2')
    .option('--iters <n>', 'mirror-descent iterations of each fit', '300')
    .option('--attacks <n>', 'target rows per risk attack', '500')
    .option('--seed <s>', 'seed of the split, the noise and the scoring (a plan is reproducible)', 'plan')
    .option('--out <file>', 'HTML page with the curves', 'plan.html')
    .addHelpText(
      'after',
      '\nOne JSON line per epsilon on stdout ({epsilon, rho, tv1, tv2, tv3, utility, risk: {singlingOut,\n' +
        'linkability, inference, miaAuc, ...}}), progress on stderr, the page in --out. The stand-in data must\n' +
        'have the schema of the real data: a public table, or rows generated from the declared structure\n' +
        '(`fedsynth generate --out gen/` then `--data gen/data.csv --domain gen/domain.json`). The noise is the\n' +
        "study's own (in-process parties, exact per-party discrete Gaussian shares); no party's budget is used.\n" +
        'Examples:\n  fedsynth plan --target "income>50K" --ordinal age,education-num,hours-per-week\n' +
        '  fedsynth plan --data gen/data.csv --domain gen/domain.json --epsilons 0.5,1,2,4 --out plan.html',
    )
    .action((f: PlanFlags) => planCommand(f));
}
