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
    const rec: CsvRecord = error ? { line: recLine, fields, error } : { line: recLine, fields };
    fields = [];
    error = undefined;
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
      if (quoted) {
        if (b === QUOTE) {
          quoted = false;
          afterQuote = true;
        } else {
          if (b === LF) line++;
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
