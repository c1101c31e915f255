// parseCsvText: an RFC 4180 parser of CSV text held in memory (quoted fields, doubled quotes, CRLF),
// returning records of fields; an empty unquoted field is null (SQL NULL), as the silos read it.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/**
 * Parses `text` into records (a leading BOM is skipped, blank lines are skipped). `file` is used
 * in messages; an unterminated quote is InvalidData naming the line where the field began.
 */
export function parseCsvText(text: string, file: string, delimiter = ','): (string | null)[][] {
  const records: (string | null)[][] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let fields: (string | null)[] = [];
  while (i <= n) {
    // one field
    let value: string | null;
    if (text[i] === '"') {
      const startLine = line;
      let out = '';
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new FedsynthError(ErrorCode.InvalidData, `${file}: line ${startLine}: unterminated quoted field`, { file, line: startLine });
        const chunk = text.slice(i, q);
        for (let k = 0; k < chunk.length; k++) if (chunk.charCodeAt(k) === 10) line++;
        out += chunk;
        if (text[q + 1] === '"') {
          out += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      value = out;
    } else {
      let j = i;
      while (j < n && text[j] !== delimiter && text[j] !== '\n' && text[j] !== '\r') j++;
      value = j > i ? text.slice(i, j) : null;
      i = j;
    }
    fields.push(value);
    if (i < n && text[i] === delimiter) {
      i++;
      continue;
    }
    // end of record
    if (text[i] === '\r') i++;
    if (text[i] === '\n') i++;
    line++;
    if (!(fields.length === 1 && fields[0] === null)) records.push(fields);
    fields = [];
    if (i >= n) break;
  }
  return records;
}
