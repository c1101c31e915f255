// codeLabels: the human-readable label of every code of a schema column — category names, bin
// ranges, integers, periods, the "other" label and "(missing)" — for reports and decoded labels.
import type { Column, Schema } from './ConsortiumSchema.js';
import { columnLayout } from './columnLayout.js';
import { civilFromDays, daysFromCivil, parseIsoDate, periodOf } from './civilDate.js';

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** ISO date of a day number (days since 1970-01-01). */
export function isoOfDays(z: number): string {
  const [y, m, d] = civilFromDays(z);
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/** The label of value code `code` (0 <= code < valueCodes): what `decode: 'label'` writes. */
export function valueLabel(col: Column, code: number): string {
  switch (col.type) {
    case 'categorical':
      return col.categories[code]!;
    case 'numeric': {
      const last = code === col.edges.length - 2;
      return `[${col.edges[code]!}, ${col.edges[code + 1]!}${last ? ']' : ')'}`;
    }
    case 'integer': {
      if (!col.edges) return String(col.min! + code);
      const lo = col.edges[code]!;
      const hi = code === col.edges.length - 2 ? col.edges[code + 1]! : col.edges[code + 1]! - 1; // inclusive
      return lo === hi ? String(lo) : `${lo}-${hi}`;
    }
    case 'date': {
      const p = periodOf(col.granularity, parseIsoDate(col.min)!) + code;
      if (col.granularity === 'year') return String(p);
      if (col.granularity === 'month') return `${pad(Math.floor(p / 12), 4)}-${pad((p % 12) + 1, 2)}`;
      const [y, m, d] = parseIsoDate(col.min)!;
      return isoOfDays(daysFromCivil(y, m, d) + code);
    }
  }
}

/** Label shown for the missing bin (the decoder writes an empty cell). */
export const MISSING_LABEL = '(missing)';

/** Labels of every code of every column, in schema order: `labels[j][code]`. */
export function codeLabels(schema: Schema): string[][] {
  return schema.columns.map((col) => {
    const lay = columnLayout(col);
    return Array.from({ length: lay.size }, (_, code) => (code === lay.missing ? MISSING_LABEL : code === lay.other ? col.otherLabel : valueLabel(col, code)));
  });
}
