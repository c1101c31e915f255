// The `fedsynth evaluate` command: scores synthetic data against real data (TV over 1/2/3-way
// marginals, printed like ../shared/tools/tvscore.mjs) and optionally writes report.json/report.html.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { parseDomainJson, type EvalDomain } from '../../shared/eval/parseDomainJson.js';
import { parseCodeCsv } from '../../shared/eval/parseCodeCsv.js';
import type { CodeTable } from '../../shared/eval/CodeTable.js';
import { totalVariation } from '../../shared/eval/totalVariation.js';
import { tvScoreRecord } from '../../shared/eval/tvScoreRecord.js';

interface EvaluateOptions {
  real: string;
  synth: string;
  domain: string;
  maxWay: string;
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

export function register(program: Command): void {
  program
    .command('evaluate')
    .description(
      'Compare synthetic with real data. Prints total variation over every 1-, 2- and 3-way marginal\n' +
        '(the statistic of ../shared/tools/tvscore.mjs, same JSON keys) as one JSON line.',
    )
    .requiredOption('--real <csv>', 'real rows: integer codes, header naming every domain column')
    .requiredOption('--synth <csv>', 'synthetic rows, same format')
    .requiredOption('--domain <json>', 'domain file {column: size} in column order')
    .option('--max-way <k>', 'largest marginal size scored (1..3)', '3')
    .action((opts: EvaluateOptions) => {
      const maxWay = parseMaxWay(opts.maxWay);
      const domain = parseDomainJson(readText(opts.domain, 'domain'), opts.domain);
      const real = loadTable(opts.real, domain, 'real');
      const synth = loadTable(opts.synth, domain, 'synthetic');
      const summary = totalVariation(real, synth, maxWay);
      process.stdout.write(JSON.stringify(tvScoreRecord(summary, real.rows, synth.rows)) + '\n');
    });
}
