// encodeCsv: writes integer-code columns as a CSV text with a header (the format of
// ../shared/data/adult.csv), quickly, without per-cell string concatenation in a loop of rows.

export function encodeCsv(header: readonly string[], columns: readonly Int32Array[]): string {
  const n = columns.length > 0 ? columns[0].length : 0;
  const parts: string[] = [header.map(quote).join(',')];
  const row = new Array<number>(columns.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < columns.length; j++) row[j] = columns[j][i];
    parts.push(row.join(','));
  }
  return parts.join('\n') + '\n';
}

function quote(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
