// evaluateSynthetic: scores one synthetic CSV (codes, or raw values under the schema) against the
// rows it was made from — fidelity, utility, privacy metrics and, with control rows, the risk attacks.
import type { Schema } from '../schema/ConsortiumSchema.js';
import { encodeRawCsv } from '../rawdata/encodeRawCsv.js';
import { makeCodeTable, selectRows, type CodeColumn, type CodeTable } from './CodeTable.js';
import { countChunkRows, sampleChunkRows, selectChunkRows, type RowChunks } from './RowChunks.js';
import { evaluateParty, type PartyEvaluation } from './evaluateParty.js';
import { parseCodeCsv } from './parseCodeCsv.js';
import { sampleRows } from './sampleRows.js';
import { evaluateRisk } from './risk/evaluateRisk.js';
import { riskFigures } from './risk/riskFigures.js';
import type { RiskFigures } from './RiskFigures.js';

export interface SyntheticEvaluationInput {
  readonly columns: readonly string[];
  readonly sizes: readonly number[];
  /** The public schema when the CSV holds decoded values; null for integer codes. */
  readonly schema: Schema | null;
  /** The synthetic rows as codes, read in chunks (platform/delivery/syntheticCsvChunks for a file). */
  readonly synthetic: RowChunks;
  /** The training rows, one code column per domain column. */
  readonly rows: readonly CodeColumn[];
  /** Control rows never used in training: enables the risk evaluation. */
  readonly control?: readonly CodeColumn[] | null;
  /** Also use the control rows as the fidelity holdout (TV ceiling, DCR share, MIA of evaluateParty). */
  readonly controlAsHoldout?: boolean;
  readonly target: string | null;
  readonly seed: string;
  /** Rows of each side scored by the fidelity and utility metrics at most (seeded sample). Default 5000. */
  readonly maxRows?: number;
  /** Target rows per attack of the risk evaluation (default 2000). */
  readonly attacks?: number;
  /** Synthetic rows the risk attacks see at most (seeded sample above it). Default MAX_ATTACKED_SYNTHETIC_ROWS. */
  readonly maxAttackedRows?: number;
  /** The party the risk figures belong to; null: the figures are the consortium's aggregate. */
  readonly party: string | null;
}

export interface SyntheticEvaluation {
  readonly evaluation: PartyEvaluation;
  readonly risk: RiskFigures | null;
  readonly realRowsEvaluated: number;
  readonly syntheticRowsEvaluated: number;
  /** Synthetic rows the risk attacks saw (all of them up to maxAttackedRows, else a seeded sample). */
  readonly syntheticRowsAttacked: number;
  /** Synthetic rows in the file. */
  readonly syntheticRows: number;
  readonly controlRows: number;
}

/**
 * Synthetic rows the risk attacks see at most: above it a seeded sample of this many (stream
 * 'risk/synth'), so an evaluation holds this many rows, whatever the size of the synthetic table.
 * An attacker holding every row may do better than the figures then say (the report states the
 * rows attacked). 100,000 rows of 40 columns are 16 MB of codes.
 */
export const MAX_ATTACKED_SYNTHETIC_ROWS = 100_000;

/**
 * At most `max` synthetic rows for the risk attacks, in row order: all of them when there are at
 * most `max`, else the seeded sample `sampleRows(total, max, seed, 'risk/synth')`; `total` from a
 * first pass when not given. Holds at most `max` rows.
 */
export function attackedSyntheticRows(src: RowChunks, seed: string, max = MAX_ATTACKED_SYNTHETIC_ROWS, total = countChunkRows(src)): CodeTable {
  return sampleChunkRows(src, total, max, seed, 'risk/synth');
}

/** A synthetic CSV as codes: its raw values encoded under `schema`, or read as codes (null schema). */
export function syntheticCodeTable(csv: string, name: string, columns: readonly string[], sizes: readonly number[], schema: Schema | null): CodeTable {
  return schema ? encodeRawCsv(csv, schema, name).table : parseCodeCsv(csv, { columns, sizes }, name);
}

function capped(t: CodeTable, k: number, seed: string, stream: string): CodeTable {
  return t.rows <= k ? t : selectRows(t, sampleRows(t.rows, k, seed, stream));
}

/**
 * Runs every metric the inputs allow (what cannot be computed is listed in `evaluation.local.unavailable`).
 * The synthetic rows are read in chunks, twice (count, then the rows kept): the fidelity metrics'
 * sample (`maxRows`) and the risk attacks' rows (`maxAttackedRows`) are all this holds of them.
 */
export function evaluateSynthetic(o: SyntheticEvaluationInput): SyntheticEvaluation {
  const { columns, sizes, schema, seed } = o;
  const max = o.maxRows ?? 5_000;
  const maxAttacked = o.maxAttackedRows ?? MAX_ATTACKED_SYNTHETIC_ROWS;
  const total = countChunkRows(o.synthetic);
  // The attacked rows (all up to maxAttacked) and the fidelity sample, in one pass; when every row is
  // attacked the sample is taken from them, as from the whole table.
  let synthAll: CodeTable;
  let synth: CodeTable;
  if (total <= maxAttacked) {
    synthAll = selectChunkRows(o.synthetic, [null], total)[0];
    synth = capped(synthAll, max, seed, 'synth');
  } else {
    [synthAll, synth] = selectChunkRows(o.synthetic, [sampleRows(total, maxAttacked, seed, 'risk/synth'), total <= max ? null : sampleRows(total, max, seed, 'synth')], total);
  }
  const realAll = makeCodeTable(columns, sizes, o.rows);
  const real = capped(realAll, max, seed, 'real');
  const control = o.control && o.control[0] && o.control[0].length > 0 ? makeCodeTable(columns, sizes, o.control) : null;
  const holdout = o.controlAsHoldout && control ? capped(control, max, seed, 'holdout') : null;
  const target = o.target && columns.includes(o.target) ? o.target : null;
  const categorical = schema ? schema.columns.map((c) => c.type === 'categorical') : undefined;
  const evaluation = evaluateParty({ train: real, holdout, synth, target, maxWay: 3, seed, categorical });
  // The attacks see the attacked synthetic rows and every training and control row (targets are sampled).
  const ordinal = columns.map((c) => (schema?.columns.find((s) => s.name === c)?.type ?? 'categorical') !== 'categorical');
  const attacked = control ? riskFigures(evaluateRisk(realAll, control, synthAll, { seed, attacks: o.attacks, ordinal }), o.party) : null;
  const figures =
    attacked && synthAll.rows < total
      ? { ...attacked, notes: [...attacked.notes, `The attacks saw a seeded sample of ${synthAll.rows} of the ${total} synthetic rows (at most ${maxAttacked} are held); an attacker holding all of them may do better.`] }
      : attacked;
  const risk = figures && o.party === null ? { ...figures, scope: 'aggregate' as const } : figures;
  return { evaluation, risk, realRowsEvaluated: real.rows, syntheticRowsEvaluated: synth.rows, syntheticRowsAttacked: synthAll.rows, syntheticRows: total, controlRows: control?.rows ?? 0 };
}
