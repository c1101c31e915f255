// ControlHoldout: the control sample a party holds back before any release (Anonymeter's control
// set): those rows are never counted for a study, only compared with the delivered synthetic data.
//
// The split is keyed by each row's content, not its position: the `controlRows` rows with the smallest
// HMAC-SHA256 under a secret seed, created once per state directory and kept (startAgent). A restarted
// agent holds back the same rows even when its source returns them in another order (PostgreSQL
// without ORDER BY, a re-sorted CSV), so no control row ever enters a release. Needs every validated row in memory: a SQL source hands them in one streamed
// scan (codes and continuous values), split here once for the counts, the gradient rounds and the
// local evaluation alike, which then share the training part's arrays.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { createHmac } from 'node:crypto';
import type { LocalRowSource } from './LocalEvaluation.js';
import type { TabularRows } from '../../shared/neural/TabularEncoding.js';
import type { TabularRowSource } from '../data/trainingRows.js';

/** The training part (what rounds count) and the rows of both parts for the local evaluation. */
export interface HeldOutControl {
  readonly source: MarginalSource;
  readonly localRows: LocalRowSource;
  /** The training part for gradient rounds (mechanism dpsgd): the same rows the counts come from. */
  readonly trainingRows: TabularRowSource;
  readonly trainRows: number;
  readonly controlRows: number;
}

/**
 * Splits the validated rows of a source into training and control. `totalRows` is the source's
 * row count (checked against the rows read, so a capped read fails instead of mis-splitting).
 * A source with `tabularRows` (the SQL sources) hands codes and continuous values, one with only
 * `codeColumns` codes (continuous values then absent).
 */
export async function holdOutControl(rows: LocalRowSource | TabularRowSource, totalRows: number, domain: Domain, controlRows: number, seed: string): Promise<HeldOutControl> {
  const table: TabularRows =
    'tabularRows' in rows
      ? await rows.tabularRows()
      : await rows.codeColumns().then((codes) => ({ rows: codes[0]?.length ?? 0, codes, values: codes.map(() => null) }));
  const cols = table.codes;
  const n = table.rows;
  if (n !== totalRows) {
    throw new FedsynthError(ErrorCode.InvalidConfig, `dataset.controlRows: the control split needs every row in memory; ${n} of ${totalRows} rows could be read`, {
      field: 'dataset.controlRows',
    });
  }
  if (!Number.isInteger(controlRows) || controlRows < 1 || controlRows > n / 2) {
    throw new FedsynthError(ErrorCode.InvalidConfig, `dataset.controlRows must be an integer from 1 to half the ${n} validated rows, got ${controlRows}`, {
      field: 'dataset.controlRows',
    });
  }
  const isControl = new Uint8Array(n);
  for (const i of controlRowIndices(table, controlRows, seed)) isControl[i] = 1;
  const pick = <T extends Int32Array | Float64Array>(col: T, want: number, make: (k: number) => T): T => {
    const out = make(want === 1 ? controlRows : n - controlRows);
    let k = 0;
    for (let i = 0; i < n; i++) if (isControl[i] === want) out[k++] = col[i];
    return out;
  };
  const train = cols.map((c) => pick(c, 0, (k) => new Int32Array(k)));
  const control = cols.map((c) => pick(c, 1, (k) => new Int32Array(k)));
  const trainValues = table.values.map((v) => v && pick(v, 0, (k) => new Float64Array(k)));
  const training: TabularRows = { rows: n - controlRows, codes: train, values: trainValues };
  return {
    source: new InMemoryMarginalSource(new EncodedTable(domain, train)),
    localRows: { codeColumns: async () => train, controlColumns: async () => control },
    trainingRows: { tabularRows: async () => training },
    trainRows: n - controlRows,
    controlRows,
  };
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
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (const c of table.codes) o = row.writeInt32LE(c[i] ?? 0, o);
    for (const v of values) {
      const x = v[i]!;
      o = row.writeDoubleLE(Number.isNaN(x) ? Number.NaN : x, o);
    }
    const d = createHmac('sha256', seed).update('fedsynth/control-holdout/v2\0').update(row).digest();
    hi[i] = d.readUIntBE(0, 6) * 16 + (d[6]! >> 4);
    lo[i] = (d[6]! & 15) * 2 ** 48 + d.readUIntBE(7, 6);
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => hi[a]! - hi[b]! || lo[a]! - lo[b]! || a - b);
  return order.slice(0, k).sort();
}
