// columnLayout: how a schema column's values map to integer codes 0..size-1, and the schema's Domain.
// Value codes come first (categories, bins, integers, periods), then "other", then "missing".
import type { Column, Schema } from './ConsortiumSchema.js';
import { parseIsoDate, periodOf } from './civilDate.js';

export interface ColumnLayout {
  /** Number of codes for real values (categories, bins, integers or periods). */
  readonly valueCodes: number;
  /** Code of the "other" bin, if the column has one. */
  readonly other: number | undefined;
  /** Code of the "missing" bin, if the column has one. */
  readonly missing: number | undefined;
  /** Total number of codes: the column's size in the model's Domain. */
  readonly size: number;
}

/** Number of value codes of a column, before the "other" and "missing" bins. */
function valueCodes(col: Column): number {
  switch (col.type) {
    case 'categorical':
      return col.categories.length;
    case 'numeric':
      return col.edges.length - 1;
    case 'integer':
      return col.edges ? col.edges.length - 1 : col.max! - col.min! + 1;
    case 'date': {
      const lo = periodOf(col.granularity, parseIsoDate(col.min)!);
      const hi = periodOf(col.granularity, parseIsoDate(col.max)!);
      return hi - lo + 1;
    }
  }
}

export function columnLayout(col: Column): ColumnLayout {
  const n = valueCodes(col);
  const hasOther = col.missing === 'other' || col.outOfDomain === 'other';
  const hasMissing = col.missing === 'bin' || col.outOfDomain === 'missing';
  const other = hasOther ? n : undefined;
  const missing = hasMissing ? n + (hasOther ? 1 : 0) : undefined;
  return { valueCodes: n, other, missing, size: n + (hasOther ? 1 : 0) + (hasMissing ? 1 : 0) };
}

/** The model's Domain defined by a schema: `{column: size}` in schema column order. */
export function schemaDomain(schema: Schema): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of schema.columns) out[c.name] = columnLayout(c).size;
  return out;
}
