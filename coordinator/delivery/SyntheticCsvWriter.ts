// SyntheticCsvWriter: writes a study's synthetic.csv chunk by chunk as the mechanism draws the rows
// (codes, or values decoded with the public schema), into a part file renamed when complete.
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandomSource, type RandomSource } from '../../shared/dp/random/RandomSource.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { encodeCsvHeader, encodeCsvRows } from '../../shared/data/encodeCsv.js';
import { FedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import type { Schema } from '../../shared/schema/ConsortiumSchema.js';
import { decodeCsvHeader, decodeCsvRows } from '../../shared/schema/decodeRows.js';
import { decodeTabularCsvRows } from '../../shared/neural/decodeTabularRows.js';
import { TabularEncoding } from '../../shared/neural/TabularEncoding.js';

/** The name of the finished file in the study's output folder. */
export const SYNTHETIC_CSV = 'synthetic.csv';

/**
 * Rows turned into text at a time. A sampling chunk (65,536 rows) decoded at once made ~40 MB of
 * short-lived strings and arrays at 40 columns (a row array, a line, the joined text), promoted to
 * V8's old generation before it could be collected: the coordinator's heap grew with the number of
 * chunks (bench/_coordinatorPhases). 4,096 rows (~2 MB of such garbage) die in the young generation.
 */
export const CSV_WRITE_SLICE_ROWS = 4096;

/**
 * The file is byte for byte what encodeCsv / decodeCsv give for the whole table (the decoding
 * randomness is one stream, 'coordinator/decode' of the study seed, drawn row by row), while only
 * one chunk is held. Until `finish` the rows are in `.synthetic.csv.part`, so a study that fails or
 * is cancelled while sampling never leaves a partial synthetic.csv.
 */
export class SyntheticCsvWriter {
  private readonly part: string;
  private fd: number | undefined;
  private readonly rng: RandomSource;
  private written = 0;
  private encoding: TabularEncoding | undefined;

  constructor(
    private readonly dir: string,
    domain: Domain,
    private readonly schema: Schema | undefined,
    seed: string,
    /** Rows encoded per writeSync (tests vary it; the file's bytes do not depend on it). */
    private readonly sliceRows: number = CSV_WRITE_SLICE_ROWS,
  ) {
    if (!Number.isInteger(sliceRows) || sliceRows < 1) throw new FedsynthError(ErrorCode.InvalidArgument, 'SyntheticCsvWriter: sliceRows must be a positive integer', { sliceRows });
    mkdirSync(dir, { recursive: true });
    this.part = join(dir, `.${SYNTHETIC_CSV}.part`);
    this.rng = seededRandomSource(seed, 'coordinator/decode');
    this.fd = openSync(this.part, 'w');
    writeSync(this.fd, schema ? decodeCsvHeader(schema) : encodeCsvHeader(domain.attrs));
  }

  /**
   * Appends one chunk of rows (one Int32Array of codes per domain column). `values` (dpsgd on a
   * schema): each continuous column's sampled values, written instead of a draw within the bin.
   */
  write(chunk: readonly Int32Array[], values?: readonly (Float64Array | null)[]): void {
    const fd = this.fd;
    if (fd === undefined) throw new FedsynthError(ErrorCode.OutOfStep, 'SyntheticCsvWriter: write after finish or abort');
    const n = chunk[0]?.length ?? 0;
    // Slice by slice (views, no copies): the decoding randomness is drawn row by row, so the text
    // of consecutive slices is the text of the whole chunk.
    for (let a = 0; a < n; a += this.sliceRows) {
      const b = Math.min(n, a + this.sliceRows);
      writeSync(fd, this.text(chunk.map((c) => c.subarray(a, b)), values?.map((v) => v && v.subarray(a, b))));
    }
    this.written += n;
  }

  /** The CSV rows of `codes` (codes, or decoded with the schema, `values` taking the place of a draw within the bin). */
  private text(codes: readonly Int32Array[], values: readonly (Float64Array | null)[] | undefined): string {
    const s = this.schema;
    if (!s) return encodeCsvRows(codes);
    if (values) return decodeTabularCsvRows(s, (this.encoding ??= TabularEncoding.fromSchema(s)), { rows: codes[0]?.length ?? 0, codes, values }, this.rng);
    return decodeCsvRows(s, codes, this.rng);
  }

  /** Rows written so far. */
  get rows(): number {
    return this.written;
  }

  /** Closes the file and moves it to synthetic.csv; returns its path. */
  finish(): string {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    const path = join(this.dir, SYNTHETIC_CSV);
    renameSync(this.part, path);
    return path;
  }

  /** Closes and removes the part file (a failed or cancelled study). */
  abort(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.part, { force: true });
  }
}
