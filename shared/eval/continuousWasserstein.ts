// continuousWasserstein: per continuous column of the consortium schema, the range-normalized 1-D
// Wasserstein distance between the real and the synthetic values (report.json fidelity.wasserstein).
import type { Schema } from '../schema/ConsortiumSchema.js';
import { TabularEncoding } from '../neural/TabularEncoding.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { wasserstein1 } from './wasserstein1.js';

/** One continuous column's distance; `distance` null when one side has no value in the column's bins. */
export interface ColumnWasserstein {
  readonly column: string;
  /** W1(real, synthetic) / (high - low); lower is better. */
  readonly distance: number | null;
  /** The schema's public span [e_0, e_m] the distance is normalized by. */
  readonly low: number;
  readonly high: number;
  /** Values compared (cells on "other"/"missing" codes have none). */
  readonly realValues: number;
  readonly syntheticValues: number;
}

/**
 * The continuous columns are the schema's numeric and integer columns with public bin edges (the
 * columns the generator models as values: TabularEncoding.fromSchema). `real[j]` and `synthetic[j]`
 * are column j's values (NaN where the cell has none, e.g. encodeRawCsv's `values`), null for other columns.
 */
export function continuousWasserstein(schema: Schema, real: readonly (Float64Array | null)[], synthetic: readonly (Float64Array | null)[]): ColumnWasserstein[] {
  const blocks = TabularEncoding.fromSchema(schema).columns;
  if (real.length !== blocks.length || synthetic.length !== blocks.length) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `continuousWasserstein: ${real.length} and ${synthetic.length} value columns for ${blocks.length} schema columns`);
  }
  const out: ColumnWasserstein[] = [];
  blocks.forEach((b, j) => {
    if (b.kind !== 'continuous') return;
    const r = real[j];
    const s = synthetic[j];
    if (r === null || s === null) throw new FedsynthError(ErrorCode.InvalidArgument, `continuousWasserstein: no values for continuous column ${b.name}`);
    const low = b.edges[0];
    const high = b.edges[b.edges.length - 1];
    const rv = r.filter((v) => !Number.isNaN(v));
    const sv = s.filter((v) => !Number.isNaN(v));
    const distance = rv.length > 0 && sv.length > 0 ? wasserstein1(rv, sv, high - low) : null;
    out.push({ column: b.name, distance, low, high, realValues: rv.length, syntheticValues: sv.length });
  });
  return out;
}
