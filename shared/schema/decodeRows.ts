// decodeRows: turns synthetic integer codes back into values of the consortium schema's types:
// category labels, numbers drawn uniformly within their public bin (or the bin label), dates.
import type { Column, Schema } from './ConsortiumSchema.js';
import { columnLayout } from './columnLayout.js';
import { daysFromCivil, daysInMonth, parseIsoDate, periodOf } from './civilDate.js';
import { isoOfDays, valueLabel } from './codeLabels.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import { uniformFloat, uniformInt } from '../dp/random/uniform.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

export interface DecodeOptions {
  /** `uniform`: a value drawn uniformly within the bin; `label`: the bin's label. Default: schema.decode. */
  readonly mode?: 'uniform' | 'label';
}

/** First and last day (days since epoch) of date period `p`, clipped to the column's range. */
function periodDays(col: Extract<Column, { type: 'date' }>, p: number): [number, number] {
  const [y0, m0, d0] = parseIsoDate(col.min)!;
  const [y1, m1, d1] = parseIsoDate(col.max)!;
  const lo = daysFromCivil(y0, m0, d0);
  const hi = daysFromCivil(y1, m1, d1);
  let a: number;
  let b: number;
  if (col.granularity === 'year') {
    a = daysFromCivil(p, 1, 1);
    b = daysFromCivil(p, 12, 31);
  } else if (col.granularity === 'month') {
    const y = Math.floor(p / 12);
    const m = (p % 12) + 1;
    a = daysFromCivil(y, m, 1);
    b = daysFromCivil(y, m, daysInMonth(y, m));
  } else {
    a = p;
    b = p;
  }
  return [Math.max(a, lo), Math.min(b, hi)];
}

/** Decodes one value code (0 <= code < valueCodes) of a column. */
function decodeValue(col: Column, code: number, rng: RandomSource, mode: 'uniform' | 'label'): string {
  if (mode === 'label' || col.type === 'categorical') return valueLabel(col, code);
  switch (col.type) {
    case 'numeric': {
      const lo = col.edges[code]!;
      const hi = col.edges[code + 1]!;
      const last = code === col.edges.length - 2;
      const x = lo + uniformFloat(rng) * (hi - lo);
      // Rounding must not leave the bin: [lo, hi) excludes hi (except for the last, closed bin).
      let r = Number(x.toFixed(col.decimals));
      if (r < lo) r = lo;
      if (r > hi || (r === hi && !last)) r = Math.max(lo, Number((hi - 10 ** -col.decimals).toFixed(col.decimals)));
      return String(r);
    }
    case 'integer': {
      if (!col.edges) return String(col.min! + code);
      const lo = col.edges[code]!;
      const last = code === col.edges.length - 2;
      const hi = last ? col.edges[code + 1]! : col.edges[code + 1]! - 1; // inclusive
      return String(lo + uniformInt(rng, hi - lo + 1));
    }
    case 'date': {
      const p = periodOf(col.granularity, parseIsoDate(col.min)!) + code;
      const [a, b] = periodDays(col, p);
      return isoOfDays(a + uniformInt(rng, b - a + 1));
    }
  }
}

/**
 * Decodes synthetic rows: `columns[j][r]` is the code of schema column j in row r. Returns one
 * string array per row in schema column order; the missing bin decodes to an empty cell and the
 * "other" bin to the column's `otherLabel`. Randomness (uniform within bins) comes from `rng`.
 */
export function decodeRows(schema: Schema, columns: readonly Int32Array[], rng: RandomSource, opts: DecodeOptions = {}): string[][] {
  if (columns.length !== schema.columns.length) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `decodeRows: ${columns.length} code columns for ${schema.columns.length} schema columns`);
  }
  const n = columns[0]?.length ?? 0;
  if (columns.some((c) => c.length !== n)) throw new FedsynthError(ErrorCode.InvalidArgument, 'decodeRows: code columns differ in length');
  const mode = opts.mode ?? schema.decode;
  const layouts = schema.columns.map(columnLayout);
  const rows: string[][] = [];
  for (let r = 0; r < n; r++) {
    const row: string[] = [];
    schema.columns.forEach((col, j) => {
      const code = columns[j]![r]!;
      const lay = layouts[j]!;
      if (!(code >= 0 && code < lay.size)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, `decodeRows: code ${code} out of range for column "${col.name}" (size ${lay.size})`);
      }
      if (code === lay.missing) row.push('');
      else if (code === lay.other) row.push(col.otherLabel);
      else row.push(decodeValue(col, code, rng, mode));
    });
    rows.push(row);
  }
  return rows;
}

/** One CSV field, quoted when it holds a delimiter, a quote, a line break or edge spaces. */
export function csvField(s: string, delimiter = ','): string {
  return s.includes(delimiter) || /["\r\n]|^ | $/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Decodes rows and renders them as CSV text with a header line (RFC 4180, `\n` line ends). */
export function decodeCsv(schema: Schema, columns: readonly Int32Array[], rng: RandomSource, opts: DecodeOptions = {}): string {
  return decodeCsvHeader(schema) + decodeCsvRows(schema, columns, rng, opts);
}

/** The header line of decodeCsv, with its line end. */
export function decodeCsvHeader(schema: Schema): string {
  return schema.columns.map((c) => csvField(c.name)).join(',') + '\n';
}

/**
 * The rows of decodeCsv (each with its line end, '' for none). The randomness is drawn row by row,
 * so the header followed by the rows of consecutive chunks, decoded with one `rng`, is byte for
 * byte decodeCsv of the whole table.
 */
export function decodeCsvRows(schema: Schema, columns: readonly Int32Array[], rng: RandomSource, opts: DecodeOptions = {}): string {
  const lines = decodeRows(schema, columns, rng, opts).map((row) => row.map((v) => csvField(v)).join(','));
  return lines.length === 0 ? '' : lines.join('\n') + '\n';
}
