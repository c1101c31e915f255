// encodeCsv: writes integer-code columns as a CSV text with a header (the format of
// ../shared/data/adult.csv), quickly, without per-cell string concatenation in a loop of rows.

export function encodeCsv(header: readonly string[], columns: readonly Int32Array[]): string {
  return encodeCsvHeader(header) + encodeCsvRows(columns);
}

/** The header line of encodeCsv, with its line end. */
export function encodeCsvHeader(header: readonly string[]): string {
  return header.map(quote).join(',') + '\n';
}

/**
 * The rows of encodeCsv (each with its line end, '' for none): the header followed by the rows of
 * consecutive chunks is byte for byte encodeCsv of the whole table.
 */
export function encodeCsvRows(columns: readonly Int32Array[]): string {
  const n = columns.length > 0 ? columns[0].length : 0;
  const parts: string[] = [];
  const row = new Array<number>(columns.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < columns.length; j++) row[j] = columns[j][i];
    parts.push(row.join(','));
  }
  return n === 0 ? '' : parts.join('\n') + '\n';
}

function quote(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
