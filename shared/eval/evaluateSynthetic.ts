// evaluateSynthetic: scores one synthetic CSV (codes, or raw values under the schema) against the
// rows it was made from — fidelity, utility, privacy metrics and, with control rows, the risk attacks.
import type { Schema } from '../schema/ConsortiumSchema.js';
import { encodeRawCsv } from '../rawdata/encodeRawCsv.js';
import { makeCodeTable, selectRows, type CodeTable } from './CodeTable.js';
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
  readonly syntheticCsv: string;
  /** The CSV's name in error messages. */
  readonly syntheticName: string;
  /** The training rows, one code column per domain column. */
  readonly rows: readonly Int32Array[];
  /** Control rows never used in training: enables the risk evaluation. */
  readonly control?: readonly Int32Array[] | null;
  /** Also use the control rows as the fidelity holdout (TV ceiling, DCR share, MIA of evaluateParty). */
  readonly controlAsHoldout?: boolean;
  readonly target: string | null;
  readonly seed: string;
  /** Rows of each side scored by the fidelity and utility metrics at most (seeded sample). Default 5000. */
  readonly maxRows?: number;
  /** Target rows per attack of the risk evaluation (default 2000). */
  readonly attacks?: number;
  /** The party the risk figures belong to; null: the figures are the consortium's aggregate. */
  readonly party: string | null;
}

export interface SyntheticEvaluation {
  readonly evaluation: PartyEvaluation;
  readonly risk: RiskFigures | null;
  readonly realRowsEvaluated: number;
  readonly syntheticRowsEvaluated: number;
  readonly controlRows: number;
}

/** A synthetic CSV as codes: its raw values encoded under `schema`, or read as codes (null schema). */
export function syntheticCodeTable(csv: string, name: string, columns: readonly string[], sizes: readonly number[], schema: Schema | null): CodeTable {
  return schema ? encodeRawCsv(csv, schema, name).table : parseCodeCsv(csv, { columns, sizes }, name);
}

function capped(t: CodeTable, k: number, seed: string, stream: string): CodeTable {
  return t.rows <= k ? t : selectRows(t, sampleRows(t.rows, k, seed, stream));
}

/** Runs every metric the inputs allow (what cannot be computed is listed in `evaluation.local.unavailable`). */
export function evaluateSynthetic(o: SyntheticEvaluationInput): SyntheticEvaluation {
  const { columns, sizes, schema, seed } = o;
  const synthAll = syntheticCodeTable(o.syntheticCsv, o.syntheticName, columns, sizes, schema);
  const max = o.maxRows ?? 5_000;
  const realAll = makeCodeTable(columns, sizes, o.rows);
  const real = capped(realAll, max, seed, 'real');
  const synth = capped(synthAll, max, seed, 'synth');
  const control = o.control && o.control[0] && o.control[0].length > 0 ? makeCodeTable(columns, sizes, o.control) : null;
  const holdout = o.controlAsHoldout && control ? capped(control, max, seed, 'holdout') : null;
  const target = o.target && columns.includes(o.target) ? o.target : null;
  const categorical = schema ? schema.columns.map((c) => c.type === 'categorical') : undefined;
  const evaluation = evaluateParty({ train: real, holdout, synth, target, maxWay: 3, seed, categorical });
  // The attacks see all synthetic rows and every training and control row (targets are sampled).
  const ordinal = columns.map((c) => (schema?.columns.find((s) => s.name === c)?.type ?? 'categorical') !== 'categorical');
  const figures = control ? riskFigures(evaluateRisk(realAll, control, synthAll, { seed, attacks: o.attacks, ordinal }), o.party) : null;
  const risk = figures && o.party === null ? { ...figures, scope: 'aggregate' as const } : figures;
  return { evaluation, risk, realRowsEvaluated: real.rows, syntheticRowsEvaluated: synth.rows, controlRows: control?.rows ?? 0 };
}
