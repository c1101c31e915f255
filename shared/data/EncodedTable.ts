// EncodedTable: a party's rows held column-wise as integer codes of the consortium domain.
// Parsing of integer-code CSV (header row naming the domain columns) with line/column errors.
import type { Domain } from '../pgm/Domain.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** One column of codes: Uint16Array when every code fits (size <= 65536), else Int32Array. */
export type CodeColumn = Uint16Array | Int32Array;

/** Allocates a column able to hold codes 0..size-1. */
export function allocColumn(size: number, rows: number): CodeColumn {
  return size <= 65536 ? new Uint16Array(rows) : new Int32Array(rows);
}

/**
 * Rows of integer codes, stored by column in the order of `domain.attrs`. Every code of column
 * `j` lies in [0, domain.shape[j]) (checked on construction).
 */
export class EncodedTable {
  readonly domain: Domain;
  readonly columns: readonly CodeColumn[];
  readonly rowCount: number;

  constructor(domain: Domain, columns: readonly CodeColumn[]) {
    if (columns.length !== domain.attrs.length) {
      throw new FedsynthError(ErrorCode.InvalidData, `EncodedTable: ${columns.length} columns for a domain of ${domain.attrs.length}`);
    }
    const rows = columns.length > 0 ? columns[0].length : 0;
    columns.forEach((c, j) => {
      const attr = domain.attrs[j];
      if (c.length !== rows) {
        throw new FedsynthError(ErrorCode.InvalidData, `EncodedTable: column ${attr} has ${c.length} rows, expected ${rows}`, { column: attr });
      }
      const size = domain.shape[j];
      for (let i = 0; i < rows; i++) {
        const v = c[i];
        if (v < 0 || v >= size) {
          throw new FedsynthError(ErrorCode.InvalidData, `EncodedTable: code ${v} out of range [0, ${size}) in column ${attr}, row ${i}`, {
            column: attr,
            row: i,
          });
        }
      }
    });
    this.domain = domain;
    this.columns = columns;
    this.rowCount = rows;
  }

  /** The rows at `indices` (in that order), as a new table. */
  select(indices: ArrayLike<number>): EncodedTable {
    const cols = this.columns.map((c, j) => {
      const out = allocColumn(this.domain.shape[j], indices.length);
      for (let i = 0; i < indices.length; i++) out[i] = c[indices[i]];
      return out;
    });
    return new EncodedTable(this.domain, cols);
  }

  /** Integer-code CSV text with a header row (columns in domain order). */
  toCsv(): string {
    const lines: string[] = [this.domain.attrs.join(',')];
    const row: number[] = new Array<number>(this.columns.length);
    for (let i = 0; i < this.rowCount; i++) {
      for (let j = 0; j < this.columns.length; j++) row[j] = this.columns[j][i];
      lines.push(row.join(','));
    }
    return lines.join('\n') + '\n';
  }

  /**
   * Parses integer-code CSV: a header naming every domain column exactly once (any order, no
   * extra columns), then one row per line of non-negative integer codes below each column's size.
   * Blank lines (e.g. a trailing newline) are skipped. Errors name the 1-based line and the column.
   */
  static fromCsv(text: string, domain: Domain): EncodedTable {
    const lines = text.split(/\r?\n/);
    let h = 0;
    while (h < lines.length && lines[h].trim() === '') h++;
    if (h === lines.length) throw new FedsynthError(ErrorCode.InvalidData, 'CSV: empty input, expected a header row');
    const header = lines[h].split(',').map((s) => s.trim());
    const colOf: number[] = header.map((name, k) => {
      const j = domain.indexOf(name);
      if (j < 0) throw new FedsynthError(ErrorCode.InvalidData, `CSV line ${h + 1}: column "${name}" is not in the domain`, { line: h + 1, column: name });
      if (header.indexOf(name) !== k) {
        throw new FedsynthError(ErrorCode.InvalidData, `CSV line ${h + 1}: column "${name}" repeated`, { line: h + 1, column: name });
      }
      return j;
    });
    for (const a of domain.attrs) {
      if (!header.includes(a)) throw new FedsynthError(ErrorCode.InvalidData, `CSV line ${h + 1}: domain column "${a}" missing`, { line: h + 1, column: a });
    }
    let n = 0;
    for (let i = h + 1; i < lines.length; i++) if (lines[i].trim() !== '') n++;
    const cols = domain.shape.map((s) => allocColumn(s, n));
    let r = 0;
    for (let i = h + 1; i < lines.length; i++) {
      const line = lines[i];
      if (line.trim() === '') continue;
      const cells = line.split(',');
      if (cells.length !== header.length) {
        throw new FedsynthError(ErrorCode.InvalidData, `CSV line ${i + 1}: ${cells.length} fields, expected ${header.length}`, { line: i + 1 });
      }
      for (let k = 0; k < cells.length; k++) {
        const cell = cells[k].trim();
        const j = colOf[k];
        const v = /^\d+$/.test(cell) ? Number(cell) : NaN;
        if (!(v < domain.shape[j])) {
          throw new FedsynthError(
            ErrorCode.InvalidData,
            `CSV line ${i + 1}, column "${header[k]}": "${cell}" is not an integer code in [0, ${domain.shape[j]})`,
            { line: i + 1, column: header[k] },
          );
        }
        cols[j][r] = v;
      }
      r++;
    }
    return new EncodedTable(domain, cols);
  }
}
