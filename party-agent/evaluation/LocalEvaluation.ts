// LocalEvaluation: after a study's outputs arrive, the party scores synthetic.csv against ITS OWN rows
// (shared/eval evaluateParty) and keeps report.json/report.html in its outputs dir: local-only, never sent.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { makeCodeTable, selectRows, type CodeTable } from '../../shared/eval/CodeTable.js';
import { evaluateParty } from '../../shared/eval/evaluateParty.js';
import { buildReportJson, type PrivacySpent } from '../../shared/eval/buildReportJson.js';
import { parseCodeCsv } from '../../shared/eval/parseCodeCsv.js';
import { sampleRows } from '../../shared/eval/sampleRows.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { codeLabels } from '../../shared/schema/codeLabels.js';
import { encodeRawCsv } from '../../shared/rawdata/encodeRawCsv.js';
import { writeReportFiles } from '../../platform/report/writeReportFiles.js';
import { evaluateRisk } from '../../shared/eval/risk/evaluateRisk.js';
import { riskFigures } from '../../shared/eval/risk/riskFigures.js';

/** A source that can hand its validated rows, as code columns, to code running at the party. */
export interface LocalRowSource {
  codeColumns(): Promise<Int32Array[]>;
  /** The control rows held back before any release (ControlHoldout), when the party keeps some. */
  controlColumns?(): Promise<Int32Array[]>;
}

/** The rows behind a source when it can give them (in memory, or anything with codeColumns). */
export function localRowsOf(source: MarginalSource | LocalRowSource): LocalRowSource | undefined {
  if (source instanceof InMemoryMarginalSource) {
    return { codeColumns: async () => source.table.columns.map((c) => Int32Array.from(c)) };
  }
  const s = source as Partial<LocalRowSource>;
  return typeof s.codeColumns === 'function' ? (s as LocalRowSource) : undefined;
}

export const LOCAL_ONLY_NOTE =
  'LOCAL-ONLY: computed by this party against its own rows; it stays in this silo and is never sent to ' +
  'the coordinator or other parties (it is not differentially private).';

export interface LocalEvaluationInput {
  readonly dir: string;
  readonly partyId: string;
  readonly studyId: string;
  readonly domain: readonly { readonly name: string; readonly size: number }[];
  /** The study's public schema (JSON text) when synthetic.csv holds decoded values; '' for codes. */
  readonly schemaJson: string;
  readonly target: string;
  readonly rows: Int32Array[];
  /** Control rows never used in training: enables the risk evaluation (singling out, linkability, inference, MIA). */
  readonly control?: Int32Array[];
  /** Target rows per attack of the risk evaluation (default 2000). */
  readonly attacks?: number;
  /** Rows of each side evaluated at most (seeded sample), so large studies stay quick. Default 5000. */
  readonly maxRows?: number;
}

function capped(t: CodeTable, k: number, seed: string, stream: string): CodeTable {
  return t.rows <= k ? t : selectRows(t, sampleRows(t.rows, k, seed, stream));
}

/** Evaluates synthetic.csv in `dir` against the party's rows; writes report.json/report.html there. */
export function evaluateDeliveredOutputs(o: LocalEvaluationInput): { json: string; html: string; seconds: number } {
  const t0 = performance.now();
  const columns = o.domain.map((c) => c.name);
  const sizes = o.domain.map((c) => c.size);
  const text = readFileSync(join(o.dir, 'synthetic.csv'), 'utf8');
  const schema = o.schemaJson ? parseSchema(JSON.parse(o.schemaJson)) : null;
  const synthAll = schema ? encodeRawCsv(text, schema, 'synthetic.csv').table : parseCodeCsv(text, { columns, sizes }, 'synthetic.csv');
  const max = o.maxRows ?? 5_000;
  const seed = `local/${o.studyId}`;
  const realAll = makeCodeTable(columns, sizes, o.rows);
  const real = capped(realAll, max, seed, 'real');
  const synth = capped(synthAll, max, seed, 'synth');
  let spent: PrivacySpent | null = null;
  try {
    const run = JSON.parse(readFileSync(join(o.dir, 'run.json'), 'utf8')) as { privacy?: PrivacySpent };
    spent = run.privacy ?? null;
  } catch {
    spent = null;
  }
  const target = o.target && columns.includes(o.target) ? o.target : null;
  const categorical = schema ? schema.columns.map((c) => c.type === 'categorical') : undefined;
  const evaluation = evaluateParty({ train: real, synth, target, maxWay: 3, seed, categorical });
  // The attacks see all delivered synthetic rows and every training and control row (targets are sampled).
  const control = o.control && o.control[0] && o.control[0].length > 0 ? makeCodeTable(columns, sizes, o.control) : null;
  const ordinal = columns.map((c) => (schema?.columns.find((s) => s.name === c)?.type ?? 'categorical') !== 'categorical');
  const risk = control ? riskFigures(evaluateRisk(realAll, control, synthAll, { seed, attacks: o.attacks, ordinal }), o.partyId) : null;
  const report = buildReportJson({
    labels: schema ? codeLabels(schema) : null,
    title: `LOCAL-ONLY evaluation at ${o.partyId} (never leaves this silo)`,
    evaluation,
    privacySpent: spent,
    parameters: {
      scope: LOCAL_ONLY_NOTE,
      party: o.partyId,
      study: o.studyId,
      target: target ?? '(none)',
      localRowsEvaluated: real.rows,
      syntheticRowsEvaluated: synth.rows,
      controlRowsHeldBack: control?.rows ?? 0,
    },
    risk: { risk, riskPerSilo: [] },
  });
  return { ...writeReportFiles(o.dir, report), seconds: (performance.now() - t0) / 1000 };
}

/** Runs the local evaluation after the current delivery callback; failures are logged, never thrown. */
export function scheduleLocalEvaluation(
  source: MarginalSource | LocalRowSource,
  input: Omit<LocalEvaluationInput, 'rows'>,
  log: Logger,
  audit: (event: string, details: Record<string, unknown>) => void,
): void {
  const rows = localRowsOf(source);
  if (!rows) return;
  setImmediate(() => {
    rows
      .codeColumns()
      .then(async (cols) => {
        const control = rows.controlColumns ? await rows.controlColumns() : undefined;
        const r = evaluateDeliveredOutputs({ ...input, rows: cols, control });
        log.info({ studyId: input.studyId, report: r.html, seconds: r.seconds }, 'local-only evaluation report written (it stays here)');
        audit('evaluation.local', { studyId: input.studyId, files: ['report.json', 'report.html'], scope: 'local-only' });
      })
      .catch((e: unknown) => log.warn({ studyId: input.studyId, err: (e as Error)?.message ?? String(e) }, 'local evaluation failed'));
  });
}
