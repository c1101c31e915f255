// ValidationReport: what a party learns about its own data against the consortium schema.
// Shown to the party's own operator only (it names lines and values); never sent to anyone.
import type { InvalidReason } from './encodeValue.js';

/** What to do with rows that do not fit the schema. */
export type OnInvalid = 'fail' | 'drop-row' | 'map-to-missing';

/** One located problem: the file's own 1-based line number (header = line 1), column and value. */
export interface ValidationProblem {
  /** `malformed-file`: the file's structure is broken (e.g. an unterminated quote); fails under every policy. */
  readonly reason: InvalidReason | 'malformed-line' | 'invalid-utf8' | 'malformed-file';
  readonly message: string;
  readonly file?: string;
  /** File line (1-based; header = 1; with quoted newlines, the line where the record starts). */
  readonly line?: number;
  /** Row number for sources without lines (Parquet: 1-based row in the file; a PostgreSQL query or view without a key: scan order). */
  readonly row?: number;
  /** The database relation read (PostgreSQL), e.g. `table public.visits`, `view public.v` or `query`. */
  readonly relation?: string;
  /** The row's identifier in a database relation: the configured key column's value, or `ctid` (physical position). */
  readonly key?: { readonly column: string; readonly value: string | null };
  readonly column?: string;
  readonly value?: string | null;
}

export interface ColumnProblemCounts {
  missing: number;
  outOfDomain: number;
  wrongType: number;
}

export interface ValidationReport {
  readonly source: string;
  readonly policy: OnInvalid;
  /** Records read (valid or not; malformed lines included). */
  readonly recordsRead: number;
  /** Rows that enter the marginals after applying the policy. */
  readonly rowsUsed: number;
  /** Rows dropped (malformed lines, and invalid rows under `drop-row`). */
  readonly rowsDropped: number;
  /** Cells mapped to the missing bin under `map-to-missing`. */
  readonly cellsMappedToMissing: number;
  readonly malformedLines: number;
  /** Invalid cells per column (only columns with problems are listed). */
  readonly invalidByColumn: Readonly<Record<string, ColumnProblemCounts>>;
  /** The first few located problems (at most `maxExamples`). */
  readonly problems: readonly ValidationProblem[];
  /** True when the data can be used under the policy. */
  readonly ok: boolean;
}

/** A one-line-per-problem text for the operator's terminal. */
export function formatProblem(p: ValidationProblem): string {
  const where = [
    p.file,
    p.relation,
    p.line !== undefined ? `line ${p.line}` : undefined,
    p.row !== undefined ? `row ${p.row}` : undefined,
    p.key !== undefined ? `${p.key.column} ${JSON.stringify(p.key.value)}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  const col = p.column !== undefined ? ` column "${p.column}"` : '';
  const val = p.value !== undefined ? ` value ${JSON.stringify(p.value)}` : '';
  return `${where}${col}${val}: ${p.message}`;
}
