// CodeRowFile: a party's validated rows as codes (and continuous values) in a file at the party, written
// once in blocks of rows and read back one block at a time, so the agent holds a block, not its table.
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { allocColumn, type CodeColumn } from '../../shared/data/EncodedTable.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { CodeTable } from '../../shared/eval/CodeTable.js';
import type { RowChunks } from '../../shared/eval/RowChunks.js';
import type { TabularRows } from '../../shared/neural/TabularEncoding.js';

/** Rows per block (the most a reader holds at once): 65,536 rows of 40 columns are 5 MB of codes. */
export const CODE_ROW_BLOCK = 65_536;

/** One block of rows: codes of every column (Uint16Array up to 65,536 values), values of the continuous ones. */
export interface CodeRowBlock {
  readonly rows: number;
  readonly codes: readonly CodeColumn[];
  readonly values: readonly (Float64Array | null)[];
}

/** What a reader held at most (tests): rows of one block. */
export interface CodeRowPeak {
  maxBlockRows: number;
}

/** The layout shared by the writer and the reader: column sizes, which columns carry values, rows per block. */
export interface CodeRowLayout {
  readonly sizes: readonly number[];
  readonly continuous: readonly boolean[];
  readonly blockRows: number;
}

type Layout = CodeRowLayout;

const codeBytes = (size: number): number => (size <= 65536 ? 2 : 4);

function bytesOf(a: CodeColumn | Float64Array, rows: number): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, rows * a.BYTES_PER_ELEMENT);
}

/** Appends rows in blocks; `close()` returns the file to read them back. The file is created owner-only. */
export class CodeRowFileWriter {
  private readonly fd: number;
  private readonly codes: CodeColumn[];
  private readonly values: (Float64Array | null)[];
  private fill = 0;
  private rows = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly layout: Layout,
  ) {
    this.fd = openSync(path, 'w', 0o600);
    this.codes = layout.sizes.map((s) => allocColumn(s, layout.blockRows));
    this.values = layout.continuous.map((c) => (c ? new Float64Array(layout.blockRows) : null));
  }

  /** Appends row `r` of `codes` / `values` (column-wise arrays of any length). */
  push(codes: readonly ArrayLike<number>[], values: readonly (ArrayLike<number> | null)[], r: number): void {
    const f = this.fill;
    for (let j = 0; j < this.codes.length; j++) this.codes[j]![f] = codes[j]![r]!;
    for (let j = 0; j < this.values.length; j++) {
      const v = this.values[j];
      if (v) v[f] = values[j]?.[r] ?? Number.NaN;
    }
    if (++this.fill === this.layout.blockRows) this.flush();
  }

  private flush(): void {
    const n = this.fill;
    if (n === 0) return;
    for (const c of this.codes) writeSync(this.fd, bytesOf(c, n));
    for (const v of this.values) if (v) writeSync(this.fd, bytesOf(v, n));
    this.rows += n;
    this.fill = 0;
  }

  close(): CodeRowFile {
    if (!this.closed) {
      this.flush();
      closeSync(this.fd);
      this.closed = true;
    }
    return new CodeRowFile(this.path, this.layout, this.rows);
  }

  /** Closes and deletes the file (a failed split). */
  discard(): void {
    if (!this.closed) closeSync(this.fd);
    this.closed = true;
    rmSync(this.path, { force: true });
  }
}

/** Rows written by CodeRowFileWriter; every read opens the file anew, holding one block at a time. */
export class CodeRowFile {
  constructor(
    readonly path: string,
    /** Public so that another thread can reopen the file (party-agent/rounds/LocalQueryThread). */
    readonly layout: Layout,
    readonly rows: number,
  ) {}

  /** A writer of a new file with `sizes` (codes), `continuous` (values kept) and `blockRows` rows per block. */
  static create(path: string, sizes: readonly number[], continuous: readonly boolean[], blockRows = CODE_ROW_BLOCK): CodeRowFileWriter {
    if (!Number.isInteger(blockRows) || blockRows < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `code row file: blockRows must be a positive integer, got ${blockRows}`);
    return new CodeRowFileWriter(path, { sizes: [...sizes], continuous: [...continuous], blockRows });
  }

  get sizes(): readonly number[] {
    return this.layout.sizes;
  }

  /** Whether column `j` carries continuous values. */
  hasValues(j: number): boolean {
    return this.layout.continuous[j] === true;
  }

  /** Every row at once (the gradient path, mechanism dpsgd, trains on the whole table): Int32 codes and the values. */
  tabularRows(): TabularRows {
    const codes = this.layout.sizes.map(() => new Int32Array(this.rows));
    const values = this.layout.continuous.map((c) => (c ? new Float64Array(this.rows) : null));
    let start = 0;
    for (const b of this.blocks()) {
      b.codes.forEach((c, j) => codes[j]!.set(c, start));
      b.values.forEach((v, j) => v && values[j]!.set(v, start));
      start += b.rows;
    }
    return { rows: this.rows, codes, values };
  }

  /** The blocks in row order, each in fresh arrays (a caller may keep or transfer them); `peak` records the largest. */
  *blocks(peak?: CodeRowPeak): Generator<CodeRowBlock> {
    const { sizes, continuous, blockRows } = this.layout;
    const fd = openSync(this.path, 'r');
    try {
      let pos = 0;
      for (let start = 0; start < this.rows; start += blockRows) {
        const n = Math.min(blockRows, this.rows - start);
        const codes = sizes.map((s) => allocColumn(s, n));
        const values = continuous.map((c) => (c ? new Float64Array(n) : null));
        for (const a of [...codes, ...values]) {
          if (!a) continue;
          const want = n * a.BYTES_PER_ELEMENT;
          if (readSync(fd, bytesOf(a, n), 0, want, pos) !== want) {
            throw new FedsynthError(ErrorCode.InvalidData, `${this.path}: the party's row file is shorter than written (${this.rows} rows)`);
          }
          pos += want;
        }
        if (peak) peak.maxBlockRows = Math.max(peak.maxBlockRows, n);
        yield { rows: n, codes, values };
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The codes as RowChunks of code tables (the evaluations' input; Uint16 columns as stored), one block at a time. */
  chunks(columns: readonly string[], peak?: CodeRowPeak): RowChunks {
    const sizes = this.layout.sizes;
    const file = this;
    return {
      columns,
      sizes,
      *chunks(): Generator<CodeTable> {
        for (const b of file.blocks(peak)) yield { columns, sizes, data: b.codes, rows: b.rows };
      },
    };
  }

  remove(): void {
    rmSync(this.path, { force: true });
  }
}
