// inferSchema: proposes a consortium schema from per-column summaries of a PUBLIC or sample file.
// Not private: categories, ranges and edges are copied from the data, so they leak what they show.
import type { SchemaInput } from './ConsortiumSchema.js';
import { parseSchema, type Schema } from './ConsortiumSchema.js';
import { parseIsoDate, daysFromCivil } from './civilDate.js';

/** What the reader measured about one column (all over non-missing, trimmed values). */
export interface ColumnSummary {
  readonly name: string;
  readonly rows: number;
  readonly missing: number;
  /** The most frequent distinct values with counts, most frequent first (possibly capped). */
  readonly distinct: readonly { readonly value: string; readonly count: number }[];
  readonly distinctCount: number;
  /** How many non-missing values parse as integers / decimal numbers / ISO dates. */
  readonly integers: number;
  readonly numbers: number;
  readonly dates: number;
  /** Numeric range (when numbers > 0) and date range (ISO, when dates > 0). */
  readonly min?: number;
  readonly max?: number;
  readonly minDate?: string;
  readonly maxDate?: string;
}

export interface InferOptions {
  /** Number of equal-width bins for wide numeric columns (default 10). */
  readonly bins?: number;
  /** Largest integer range kept as one code per value (default 32). */
  readonly maxIntegerRange?: number;
  /** Largest number of categories kept; the rest maps to "other" (default 100). */
  readonly maxCategories?: number;
}

/** A "nice" step (1, 2, 2.5 or 5 times a power of ten) at least `raw`. */
export function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

/** Equal-width edges with a nice step covering [min, max] in about `bins` bins. */
export function niceEdges(min: number, max: number, bins: number, integer: boolean): number[] {
  let step = niceStep((max - min) / bins || 1);
  if (integer) step = Math.max(1, Math.ceil(step));
  const lo = Math.floor(min / step) * step;
  const edges = [lo];
  while (edges[edges.length - 1]! <= max) edges.push(Number((edges[edges.length - 1]! + step).toPrecision(12)));
  return edges;
}

/** Proposes one column (types by how values parse; the widest fitting type wins). */
function inferColumn(s: ColumnSummary, o: Required<InferOptions>): SchemaInput['columns'][number] {
  const present = s.rows - s.missing;
  const missing = s.missing > 0 ? ({ missing: 'bin' } as const) : {};
  if (present > 0 && s.dates === present && s.minDate && s.maxDate) {
    const [a, b] = [parseIsoDate(s.minDate)!, parseIsoDate(s.maxDate)!];
    const span = daysFromCivil(...b) - daysFromCivil(...a);
    const granularity = span <= 92 ? 'day' : span <= 3660 ? 'month' : 'year';
    return { name: s.name, type: 'date', granularity, min: s.minDate.slice(0, 10), max: s.maxDate.slice(0, 10), outOfDomain: 'clamp', ...missing };
  }
  if (present > 0 && s.integers === present && s.min !== undefined && s.max !== undefined) {
    if (s.max - s.min + 1 <= o.maxIntegerRange) return { name: s.name, type: 'integer', min: s.min, max: s.max, outOfDomain: 'clamp', ...missing };
    return { name: s.name, type: 'integer', edges: niceEdges(s.min, s.max, o.bins, true), outOfDomain: 'clamp', ...missing };
  }
  if (present > 0 && s.numbers === present && s.min !== undefined && s.max !== undefined) {
    return { name: s.name, type: 'numeric', edges: niceEdges(s.min, s.max, o.bins, false), outOfDomain: 'clamp', ...missing };
  }
  const kept = s.distinct.slice(0, o.maxCategories).map((d) => d.value).sort();
  const truncated = s.distinctCount > kept.length;
  return {
    name: s.name,
    type: 'categorical',
    categories: kept.length > 0 ? kept : ['(none)'],
    outOfDomain: truncated ? 'other' : 'invalid',
    ...missing,
  };
}

/** A proposal to review by hand before it is shared with the consortium. */
export function inferSchema(summaries: readonly ColumnSummary[], opts: InferOptions = {}): Schema {
  const o: Required<InferOptions> = { bins: opts.bins ?? 10, maxIntegerRange: opts.maxIntegerRange ?? 32, maxCategories: opts.maxCategories ?? 100 };
  return parseSchema({ version: 1, decode: 'uniform', columns: summaries.map((s) => inferColumn(s, o)) });
}
