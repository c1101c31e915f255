// parseCodeCsv: reads CSV text of integer codes (header naming every domain column, any order).
// Pure (takes the text); errors name the file, the line and the column of the offending value.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { CodeTable } from './CodeTable.js';
import type { EvalDomain } from './parseDomainJson.js';

const INTEGER = /^-?\d+$/;

function bad(message: string, details: Record<string, unknown>): FedsynthError {
  return new FedsynthError(ErrorCode.InvalidData, message, details);
}

/** Parses `text` into a CodeTable in domain column order; `file` is used only in messages. */
export function parseCodeCsv(text: string, domain: EvalDomain, file: string): CodeTable {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw bad(`${file}: empty file`, { file });
  const header = lines[0].replace(/^\uFEFF/, '').split(',');
  const cols = domain.columns;
  const sameSet = header.length === cols.length && [...header].sort().join('\0') === [...cols].sort().join('\0');
  if (!sameSet) {
    throw bad(`${file}: line 1: columns ${JSON.stringify(header)} do not match domain ${JSON.stringify(cols)}`, { file, line: 1 });
  }
  const n = lines.length - 1;
  if (n === 0) throw bad(`${file}: no rows`, { file });
  const pos = cols.map((c) => header.indexOf(c));
  const data = cols.map(() => new Int32Array(n));
  for (let r = 0; r < n; r++) {
    const line = r + 2;
    const cells = lines[r + 1].split(',');
    if (cells.length !== header.length) {
      throw bad(`${file}: line ${line} has ${cells.length} fields, expected ${header.length}`, { file, line });
    }
    for (let c = 0; c < cols.length; c++) {
      const s = cells[pos[c]];
      if (!INTEGER.test(s)) {
        throw bad(`${file}: line ${line} column ${cols[c]}: value ${JSON.stringify(s)} is not an integer code`, { file, line, column: cols[c] });
      }
      const v = Number(s);
      if (v < 0 || v >= domain.sizes[c]) {
        throw bad(`${file}: line ${line} column ${cols[c]}: value ${v} outside [0,${domain.sizes[c]})`, { file, line, column: cols[c] });
      }
      data[c][r] = v;
    }
  }
  return { columns: [...cols], sizes: [...domain.sizes], data, rows: n };
}
