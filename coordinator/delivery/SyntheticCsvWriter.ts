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
  ) {
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
    if (this.fd === undefined) throw new FedsynthError(ErrorCode.OutOfStep, 'SyntheticCsvWriter: write after finish or abort');
    const s = this.schema;
    const text = !s
      ? encodeCsvRows(chunk)
      : values
        ? decodeTabularCsvRows(s, (this.encoding ??= TabularEncoding.fromSchema(s)), { rows: chunk[0]?.length ?? 0, codes: chunk, values }, this.rng)
        : decodeCsvRows(s, chunk, this.rng);
    writeSync(this.fd, text);
    this.written += chunk[0]?.length ?? 0;
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
