// ControlHoldout: the control sample a party holds back before any release (Anonymeter's control
// set): those rows are never counted for a study, only compared with the delivered synthetic data.
//
// The split is keyed by each row's content, not its position: the `controlRows` rows with the smallest
// HMAC-SHA256 under a secret seed, created once per state directory and kept (startAgent). A restarted
// agent holds back the same rows even when its source returns them in another order (PostgreSQL
// without ORDER BY, a re-sorted CSV), so no control row ever enters a release. The rows are streamed
// once from the source into row files at the party (never the whole table in memory); the training
// file is what rounds count (block by block), gradient rounds train on and the local evaluation samples.
import type { CodeColumn } from '../../shared/eval/CodeTable.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { sampleChunkRows } from '../../shared/eval/RowChunks.js';
import { createHmac } from 'node:crypto';
import type { LocalRowSource } from './LocalEvaluation.js';
import type { TabularRows } from '../../shared/neural/TabularEncoding.js';
import { loadOnce, type TabularRowSource } from '../data/trainingRows.js';
import { CodeRowFile, type CodeRowFileWriter } from '../data/CodeRowFile.js';
import { RowFileMarginalSource } from '../data/RowFileMarginalSource.js';
import { digestBefore, digestCutoff, type DigestBlock } from './digestCutoff.js';

/** The training part (what rounds count) and the rows of both parts for the local evaluation. */
export interface HeldOutControl {
  readonly source: MarginalSource;
  readonly localRows: LocalRowSource;
  /** The training part for gradient rounds (mechanism dpsgd): the same rows the counts come from. */
  readonly trainingRows: TabularRowSource;
  readonly trainRows: number;
  readonly controlRows: number;
  /** Deletes the two row files (the agent stops). */
  remove(): void;
}

/** A source that streams its validated rows in batches (SqlMarginalSource), never holding the table. */
export interface TabularBatchSource {
  scanTabular(onBatch: (batch: TabularRows) => void): Promise<number>;
}

/** Streams the rows of any of the three kinds of source, batch by batch. */
async function scanRows(rows: TabularBatchSource | LocalRowSource | TabularRowSource, onBatch: (batch: TabularRows) => void): Promise<void> {
  if ('scanTabular' in rows) {
    await rows.scanTabular(onBatch);
    return;
  }
  const table: TabularRows =
    'tabularRows' in rows
      ? await rows.tabularRows()
      : await rows.codeColumns().then((codes) => ({ rows: codes[0]?.length ?? 0, codes: codes.map((c) => Int32Array.from(c)), values: codes.map(() => null) }));
  onBatch(table);
}

/** The two 52-bit keys of row `i`'s digest HMAC-SHA256(seed, row) (see controlRowIndices); `row` is scratch of the row's byte length. */
function rowDigest(seed: string, codes: readonly ArrayLike<number>[], values: readonly Float64Array[], i: number, row: Buffer): [number, number] {
  let o = 0;
  for (const c of codes) o = row.writeInt32LE(c[i] ?? 0, o);
  for (const v of values) {
    const x = v[i]!;
    o = row.writeDoubleLE(Number.isNaN(x) ? Number.NaN : x, o);
  }
  const d = createHmac('sha256', seed).update('fedsynth/control-holdout/v2\0').update(row).digest();
  return [d.readUIntBE(0, 6) * 16 + (d[6]! >> 4), (d[6]! & 15) * 2 ** 48 + d.readUIntBE(7, 6)];
}

/** Reads a row file's codes: every row up to `max`, else the seeded sample of `max` rows (stream `stream`), in row order. */
async function codesOf(file: CodeRowFile, domain: Domain, max: number | undefined, stream: string): Promise<CodeColumn[]> {
  const k = max === undefined ? file.rows : Math.max(1, Math.floor(max));
  return [...sampleChunkRows(file.chunks(domain.attrs), file.rows, k, 'fedsynth/local-rows', stream).data];
}

/**
 * Splits the validated rows of a source into training and control, kept in two row files in `dir`
 * (CodeRowFile: codes and continuous values, read back a block at a time). `totalRows` is the source's
 * row count (checked against the rows read, so a capped read fails instead of mis-splitting).
 * A source that streams (`scanTabular`: the SQL sources) is read in batches; one with `tabularRows`
 * or only `codeColumns` (tests) whole. The split holds a block of rows and a bounded histogram of
 * digests (digestCutoff), never the table: three passes over files in `dir` (rows and digests, then
 * the cutoff digest, then the two parts). The rows kept are in source order in each part.
 */
export async function holdOutControl(
  rows: TabularBatchSource | LocalRowSource | TabularRowSource,
  totalRows: number,
  domain: Domain,
  controlRows: number,
  seed: string,
  dir: string,
): Promise<HeldOutControl> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const digests = CodeRowFile.create(join(dir, 'digests.rows'), [], [true, true]);
  let all: CodeRowFileWriter | undefined;
  let n = 0;
  const writers: CodeRowFileWriter[] = [digests];
  try {
    await scanRows(rows, (batch) => {
      all ??= CodeRowFile.create(join(dir, 'all.rows'), domain.shape, batch.values.map((v) => v !== null));
      if (!writers.includes(all)) writers.push(all);
      const values = batch.values.filter((v): v is Float64Array => v !== null);
      const scratch = Buffer.alloc(4 * batch.codes.length + 8 * values.length);
      const hl = [new Float64Array(1), new Float64Array(1)];
      for (let i = 0; i < batch.rows; i++) {
        [hl[0]![0], hl[1]![0]] = rowDigest(seed, batch.codes, values, i, scratch);
        digests.push([], hl, 0);
        all.push(batch.codes, batch.values, i);
      }
      n += batch.rows;
    });
    const allFile = (all ?? CodeRowFile.create(join(dir, 'all.rows'), domain.shape, domain.shape.map(() => false))).close();
    const digestFile = digests.close();
    try {
      if (n !== totalRows) {
        throw new FedsynthError(ErrorCode.InvalidConfig, `dataset.controlRows: the control split needs every row; ${n} of ${totalRows} rows could be read`, {
          field: 'dataset.controlRows',
        });
      }
      if (!Number.isInteger(controlRows) || controlRows < 1 || controlRows > n / 2) {
        throw new FedsynthError(ErrorCode.InvalidConfig, `dataset.controlRows must be an integer from 1 to half the ${n} validated rows, got ${controlRows}`, {
          field: 'dataset.controlRows',
        });
      }
      const digestBlocks = function* (): Generator<DigestBlock> {
        let start = 0;
        for (const b of digestFile.blocks()) {
          yield { start, hi: b.values[0]!, lo: b.values[1]! };
          start += b.rows;
        }
      };
      const cutoff = digestCutoff(digestBlocks, controlRows);
      const continuous = domain.shape.map((_, j) => allFile.hasValues(j));
      const train = CodeRowFile.create(join(dir, 'train.rows'), domain.shape, continuous);
      const control = CodeRowFile.create(join(dir, 'control.rows'), domain.shape, continuous);
      writers.push(train, control);
      const ds = digestBlocks();
      for (const b of allFile.blocks()) {
        const d = ds.next().value as DigestBlock;
        for (let i = 0; i < b.rows; i++) {
          const held = !digestBefore(cutoff, { hi: d.hi[i]!, lo: d.lo[i]!, row: d.start + i });
          (held ? control : train).push(b.codes, b.values, i);
        }
      }
      const trainFile = train.close();
      const controlFile = control.close();
      return {
        source: new RowFileMarginalSource(trainFile, domain),
        localRows: { codeColumns: (max) => codesOf(trainFile, domain, max, 'train'), controlColumns: (max) => codesOf(controlFile, domain, max, 'control') },
        trainingRows: loadOnce(async () => trainFile.tabularRows()),
        trainRows: trainFile.rows,
        controlRows: controlFile.rows,
        remove: () => {
          trainFile.remove();
          controlFile.remove();
        },
      };
    } finally {
      allFile.remove();
      digestFile.remove();
    }
  } catch (e) {
    for (const w of writers) w.discard();
    throw e;
  }
}

/**
 * The `k` rows held back, ascending: those whose digest HMAC-SHA256(seed, row) is smallest, where a
 * row is its codes (int32 LE) and its continuous values (float64 LE, NaN canonical). A function of
 * the multiset of rows, not of their order; rows with equal content are interchangeable, so which
 * of them is taken does not matter. Digests compare by their first 104 bits (two 52-bit keys).
 */
export function controlRowIndices(table: TabularRows, k: number, seed: string): Int32Array {
  const n = table.rows;
  const values = table.values.filter((v): v is Float64Array => v !== null);
  const row = Buffer.alloc(4 * table.codes.length + 8 * values.length);
  const hi = new Float64Array(n);
  const lo = new Float64Array(n);
  for (let i = 0; i < n; i++) [hi[i], lo[i]] = rowDigest(seed, table.codes, values, i, row);
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => hi[a]! - hi[b]! || lo[a]! - lo[b]! || a - b);
  return order.slice(0, k).sort();
}
