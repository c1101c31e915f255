// csvRecords: a streaming RFC 4180 record reader that keeps each record's file line number.
// Used only to locate problems for the operator (the counting itself happens in DuckDB).
import { createReadStream } from 'node:fs';

export interface CsvRecord {
  /** 1-based file line where the record starts (quoted newlines make later records start later). */
  readonly line: number;
  /** Fields; an empty unquoted or quoted field is null (as DuckDB reads it). */
  readonly fields: (string | null)[];
  /** Set when the record is not well-formed CSV or not UTF-8. */
  readonly error?: 'unquoted-quote' | 'unterminated-quote' | 'invalid-utf8';
  /** 1-based file line where the record ends (after its last field). */
  readonly endLine: number;
  /**
   * Where the record's first quoted field holding a line break opened: its file line, 1-based byte
   * column in that line, and 0-based field index. A quote that is never closed where it should be
   * turns the rest of the file into this one record (see `isStructuralBreak`).
   */
  readonly quotedBreak?: { readonly line: number; readonly column: number; readonly field: number };
}

/**
 * True when a record shows the file's structure is broken, not one row: the quote was never
 * closed (end of file inside quotes), or a quoted field spans lines and the record is malformed
 * (a stray quote after it, or the wrong number of fields): every line after it is misread.
 */
export function isStructuralBreak(rec: CsvRecord, headerFields: number): boolean {
  if (rec.error === 'unterminated-quote') return true;
  return rec.quotedBreak !== undefined && (rec.error === 'unquoted-quote' || rec.fields.length !== headerFields);
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Reads records of a CSV file (a leading UTF-8 BOM is skipped; blank lines are skipped). */
export async function* csvRecords(path: string, delimiter = ','): AsyncGenerator<CsvRecord> {
  const delim = delimiter.charCodeAt(0);
  let line = 1;
  let recLine = 1;
  let fields: (string | null)[] = [];
  let field: number[] = [];
  let quoted = false; // inside quotes
  let wasQuoted = false; // current field started with a quote
  let afterQuote = false; // just saw the closing quote of a quoted field
  let error: CsvRecord['error'];
  let first = true;
  let sawAny = false; // record has any byte
  let column = 0; // 1-based byte column of the current byte in its line
  let fieldStart = { line: 1, column: 1 }; // where the current field's opening quote is
  let quotedBreak: CsvRecord['quotedBreak'];

  const endField = (): void => {
    if (field.length === 0) fields.push(null);
    else {
      try {
        fields.push(utf8.decode(Uint8Array.from(field)));
      } catch {
        error ??= 'invalid-utf8';
        fields.push(Buffer.from(field).toString('latin1'));
      }
    }
    field = [];
    wasQuoted = false;
    afterQuote = false;
  };
  const endRecord = (): CsvRecord | undefined => {
    endField();
    const blank = !sawAny;
    const base = { line: recLine, fields, endLine: line, ...(quotedBreak ? { quotedBreak } : {}) };
    const rec: CsvRecord = error ? { ...base, error } : base;
    fields = [];
    error = undefined;
    quotedBreak = undefined;
    sawAny = false;
    return blank ? undefined : rec;
  };

  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    if (first) {
      first = false;
      if (chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) start = 3;
    }
    for (let i = start; i < chunk.length; i++) {
      const b = chunk[i]!;
      column++;
      if (quoted) {
        if (b === QUOTE) {
          quoted = false;
          afterQuote = true;
        } else {
          if (b === LF) {
            line++;
            column = 0;
            quotedBreak ??= { ...fieldStart, field: fields.length };
          }
          field.push(b);
        }
        continue;
      }
      if (b === QUOTE) {
        if (afterQuote) {
          // a doubled quote inside a quoted field
          field.push(QUOTE);
          quoted = true;
          afterQuote = false;
        } else if (field.length === 0 && !wasQuoted) {
          quoted = true;
          wasQuoted = true;
          sawAny = true;
          fieldStart = { line, column };
        } else {
          error ??= 'unquoted-quote';
          field.push(b);
        }
        continue;
      }
      if (b === delim) {
        sawAny = true;
        endField();
        continue;
      }
      if (b === LF || b === CR) {
        if (b === CR && chunk[i + 1] === LF) continue; // handled at the LF
        const rec = endRecord();
        if (rec) yield rec;
        line++;
        column = 0;
        recLine = line;
        continue;
      }
      if (afterQuote) error ??= 'unquoted-quote';
      sawAny = true;
      field.push(b);
    }
  }
  if (quoted) error ??= 'unterminated-quote';
  if (sawAny || field.length > 0 || fields.length > 0) {
    const rec = endRecord();
    if (rec) yield rec;
  }
}
