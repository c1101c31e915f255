// LocalEvaluation: after a study's outputs arrive, the party scores synthetic.csv against ITS OWN rows
// (shared/eval evaluateParty) and keeps report.json/report.html in its outputs dir: local-only, never sent.
import type { CodeColumn } from '../../shared/eval/CodeTable.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { evaluateSynthetic } from '../../shared/eval/evaluateSynthetic.js';
import { buildReportJson } from '../../shared/eval/buildReportJson.js';
import type { PrivacySpent } from '../../shared/eval/EvaluationReport.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { codeLabels } from '../../shared/schema/codeLabels.js';
import { writeReportFiles } from '../../platform/report/writeReportFiles.js';
import { syntheticCsvChunks, type ChunkReaderPeak } from '../../platform/delivery/syntheticCsvChunks.js';
import { isFedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';

/**
 * Rows of each side (training, control) the local evaluation is handed at most: above it a seeded
 * sample (ControlHoldout) or the first rows (a SQL source without a control split), so the evaluation
 * worker's memory does not grow with the silo. The pooled risk count takes every row.
 */
export const MAX_LOCAL_EVALUATION_ROWS = 200_000;

/**
 * A source that can hand its validated rows, as code columns, to code running at the party. Each call
 * returns fresh arrays that the caller owns (the evaluation moves them to its worker thread).
 */
export interface LocalRowSource {
  /** At most `maxRows` rows (every row when absent, or the source's own cap). */
  codeColumns(maxRows?: number): Promise<CodeColumn[]>;
  /** The control rows held back before any release (ControlHoldout), when the party keeps some. */
  controlColumns?(maxRows?: number): Promise<CodeColumn[]>;
}

/** The rows behind a source when it can give them (in memory, or anything with codeColumns). */
export function localRowsOf(source: MarginalSource | LocalRowSource): LocalRowSource | undefined {
  if (source instanceof InMemoryMarginalSource) {
    return { codeColumns: async () => source.table.columns.map((c) => c.slice()) };
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
  readonly rows: CodeColumn[];
  /** Control rows never used in training: enables the risk evaluation (singling out, linkability, inference, MIA). */
  readonly control?: CodeColumn[];
  /** Target rows per attack of the risk evaluation (default 2000). */
  readonly attacks?: number;
  /** Rows of each side evaluated at most (seeded sample), so large studies stay quick. Default 5000. */
  readonly maxRows?: number;
  /** Synthetic rows the risk attacks see at most (default MAX_ATTACKED_SYNTHETIC_ROWS). */
  readonly maxAttackedRows?: number;
  /** Rows per chunk read from synthetic.csv (default 65,536; tests). */
  readonly chunkRows?: number;
  /** Filled with what the reader held at most (tests). */
  readonly peak?: ChunkReaderPeak;
}

/** Evaluates synthetic.csv in `dir` against the party's rows; writes report.json/report.html there. */
/** What a local evaluation wrote: the report's two files, and how long it took. */
export interface LocalEvaluationResult {
  readonly json: string;
  readonly html: string;
  readonly seconds: number;
}

/**
 * Runs a local evaluation somewhere other than this thread (LocalEvaluationThreads: a worker).
 * `transfer`: the rows' buffers are moved, not copied (the caller drops them).
 */
export interface EvaluationRunner {
  run(input: LocalEvaluationInput, opts?: { readonly transfer?: boolean }): Promise<LocalEvaluationResult>;
}

export function evaluateDeliveredOutputs(o: LocalEvaluationInput): LocalEvaluationResult {
  const t0 = performance.now();
  const schema = o.schemaJson ? parseSchema(JSON.parse(o.schemaJson)) : null;
  const seed = `local/${o.studyId}`;
  const columns = o.domain.map((c) => c.name);
  const sizes = o.domain.map((c) => c.size);
  const scored = evaluateSynthetic({
    columns,
    sizes,
    schema,
    // Read in chunks: the evaluation holds its samples of the rows, never the file (o.chunkRows: tests).
    synthetic: syntheticCsvChunks(join(o.dir, 'synthetic.csv'), { columns, sizes, schema, chunkRows: o.chunkRows, peak: o.peak }),
    rows: o.rows,
    control: o.control,
    target: o.target || null,
    seed,
    maxRows: o.maxRows,
    attacks: o.attacks,
    maxAttackedRows: o.maxAttackedRows,
    party: o.partyId,
  });
  let spent: PrivacySpent | null = null;
  try {
    const run = JSON.parse(readFileSync(join(o.dir, 'run.json'), 'utf8')) as { privacy?: PrivacySpent };
    spent = run.privacy ?? null;
  } catch {
    spent = null;
  }
  const { evaluation, risk } = scored;
  const target = o.target && o.domain.some((c) => c.name === o.target) ? o.target : null;
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
      localRowsEvaluated: scored.realRowsEvaluated,
      syntheticRowsEvaluated: scored.syntheticRowsEvaluated,
      syntheticRows: scored.syntheticRows,
      syntheticRowsAttacked: scored.syntheticRowsAttacked,
      controlRowsHeldBack: scored.controlRows,
    },
    risk: { risk, riskPerSilo: [] },
  });
  return { ...writeReportFiles(o.dir, report), seconds: (performance.now() - t0) / 1000 };
}

/**
 * Runs the local evaluation after the current delivery callback, in a worker thread of `threads` (the
 * event loop keeps answering heartbeats); failures are logged with their code, never thrown.
 * `started` holds the studies this agent has evaluated or is evaluating: outputs delivered again
 * (after a reconnect, the coordinator re-sends unacknowledged files) are not evaluated twice; nor
 * are outputs whose report.json is already there. Returns whether an evaluation was scheduled.
 */
export function scheduleLocalEvaluation(
  source: MarginalSource | LocalRowSource,
  input: Omit<LocalEvaluationInput, 'rows'>,
  log: Logger,
  audit: (event: string, details: Record<string, unknown>) => void,
  started: Set<string>,
  threads: EvaluationRunner,
): boolean {
  const rows = localRowsOf(source);
  if (!rows) return false;
  if (started.has(input.studyId) || existsSync(join(input.dir, 'report.json'))) {
    log.info({ studyId: input.studyId }, 'outputs delivered again: the local-only evaluation report is already written or being written');
    return false;
  }
  started.add(input.studyId);
  setImmediate(() => {
    rows
      .codeColumns(MAX_LOCAL_EVALUATION_ROWS)
      .then(async (cols) => {
        const control = rows.controlColumns ? await rows.controlColumns(MAX_LOCAL_EVALUATION_ROWS) : undefined;
        // Moved to the worker, not copied: this thread keeps none of the rows while it evaluates.
        const r = await threads.run({ ...input, rows: cols, control }, { transfer: true });
        log.info({ studyId: input.studyId, report: r.html, seconds: r.seconds }, 'local-only evaluation report written (it stays here)');
        audit('evaluation.local', { studyId: input.studyId, files: ['report.json', 'report.html'], scope: 'local-only' });
      })
      .catch((e: unknown) => {
        const code = isFedsynthError(e) ? e.code : ErrorCode.Internal;
        const fields = { studyId: input.studyId, code, err: (e as Error)?.message ?? String(e) };
        if (code === ErrorCode.Cancelled) log.info(fields, 'local evaluation stopped with the agent');
        else log.warn(fields, 'local evaluation failed');
      });
  });
  return true;
}
