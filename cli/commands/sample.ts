// The `fedsynth sample` command: draws more rows from a study's fitted model.json, optionally
// conditioned on column values, without touching any silo or spending privacy budget (post-processing).
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { cryptoRandomSource, seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { encodeCsv } from '../../shared/data/encodeCsv.js';
import { decodeCsv } from '../../shared/schema/decodeRows.js';
import { parseModelDocument } from '../../shared/sample/ModelDocument.js';
import { parseWhere } from '../../shared/sample/parseWhere.js';
import { sampleModelDocument } from '../../shared/sample/sampleModelDocument.js';
import { isTvaeDocument, parseTvaeDocument } from '../../shared/sample/TvaeDocument.js';
import { sampleVaeRows } from '../../shared/neural/sampleVaeRows.js';
import { decodeTabularCsv } from '../../shared/neural/decodeTabularRows.js';

interface SampleCliOptions {
  model: string;
  rows: string;
  where: string[];
  seed?: string;
  out?: string;
  schema?: string;
  codes?: boolean;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new FedsynthError(ErrorCode.NotFound, `${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { file: path });
  }
}

function parseRows(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `--rows must be a positive integer, got ${JSON.stringify(s)}`, { field: '--rows' });
  return n;
}

/** Writes the rows to --out (and a JSON summary to stdout) or to stdout. */
function emit(csv: string, o: SampleCliOptions, studyId: string, rows: number, where: unknown, decoded: boolean): void {
  if (o.out === undefined) {
    process.stdout.write(csv);
    return;
  }
  writeFileSync(o.out, csv);
  process.stdout.write(JSON.stringify({ command: 'sample', studyId, rows, out: o.out, where, decoded, privacySpent: 'none (post-processing of the released model)' }) + '\n');
}

export function register(program: Command): void {
  program
    .command('sample')
    .description(
      'Draw more synthetic rows from a study\'s model.json. Sampling is post-processing of the released\n' +
        'model: it reads no silo and spends no privacy budget. --where conditions the draw on column values\n' +
        '(schema labels or raw values, a number selects its bin; integer codes for studies without a schema).',
    )
    .requiredOption('--model <json>', 'model.json of a finished study')
    .requiredOption('--rows <n>', 'number of rows to draw')
    .option('--where <column=value>', 'condition on a column value (repeatable, one value per column)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--seed <s>', 'seed for reproducible draws (default: fresh randomness)')
    .option('--out <csv>', 'write the rows here (default: standard output)')
    .option('--schema <json>', 'schema to decode with, for a model.json written without one')
    .option('--codes', 'write integer codes even when the model has a schema')
    .action(async (o: SampleCliOptions) => {
      const rows = parseRows(o.rows);
      const schemaOverride = o.schema !== undefined ? (JSON.parse(readText(o.schema, 'schema')) as unknown) : undefined;
      const text = readText(o.model, 'model');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined; // parseModelDocument reports it
      }
      if (isTvaeDocument(parsed)) {
        // A dpsgd study's generator: z ~ N(0, I) through the decoder (no conditioning on --where).
        if (o.where.length > 0) throw new FedsynthError(ErrorCode.InvalidArgument, '--where is not supported for a dpsgd generator model', { field: '--where' });
        const g = parseTvaeDocument(parsed, o.model, schemaOverride);
        const rng = o.seed !== undefined ? seededRandomSource(o.seed, 'sample/rows') : cryptoRandomSource();
        const sampled = await sampleVaeRows(g.spec, g.weights, rows, rng);
        const decodeRng = o.seed !== undefined ? seededRandomSource(o.seed, 'sample/decode') : cryptoRandomSource();
        // Continuous columns keep the generator's sampled values (as synthetic.csv does).
        const csv = g.schema && !o.codes ? decodeTabularCsv(g.schema, g.spec.encoding, sampled, decodeRng) : encodeCsv(g.domain.attrs, sampled.codes.map((c) => Int32Array.from(c)));
        emit(csv, o, g.studyId, rows, [], Boolean(g.schema && !o.codes));
        return;
      }
      const doc = parseModelDocument(text, o.model, schemaOverride);
      const evidence = parseWhere(o.where, doc.domain, doc.schema);
      const rng = o.seed !== undefined ? seededRandomSource(o.seed, 'sample/rows') : cryptoRandomSource();
      const columns = sampleModelDocument(doc, rows, rng, evidence);
      const decodeRng = o.seed !== undefined ? seededRandomSource(o.seed, 'sample/decode') : cryptoRandomSource();
      const csv = doc.schema && !o.codes ? decodeCsv(doc.schema, columns, decodeRng) : encodeCsv(doc.domain.attrs, columns);
      emit(csv, o, doc.studyId, rows, evidence, Boolean(doc.schema && !o.codes));
    });
}
