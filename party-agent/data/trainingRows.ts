// trainingRows: a party's rows as the generator's TabularRows for the gradient path (mechanism
// dpsgd); they stay in the agent's memory, only the noisy, masked gradient sum leaves.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import type { TabularEncoding, TabularRows } from '../../shared/neural/TabularEncoding.js';

/**
 * Hands the validated rows a study may train on (codes of every schema column, values of its
 * continuous columns) to code running at the party: SqlMarginalSource for CSV, Parquet and
 * PostgreSQL, or the training part of the control split (ControlHoldout).
 */
export interface TabularRowSource {
  tabularRows(): Promise<TabularRows>;
}

/**
 * Loads the rows on first use (one streamed scan) and keeps them for every later round of every
 * study: one copy of the table in the agent. A failed load is forgotten, so the next round retries.
 */
export function loadOnce(load: () => Promise<TabularRows>): TabularRowSource {
  let rows: Promise<TabularRows> | undefined;
  return {
    tabularRows: () => {
      rows ??= load().catch((e: unknown) => {
        rows = undefined;
        throw e;
      });
      return rows;
    },
  };
}

/** `loadOnce` over a source that reads its own rows (SqlMarginalSource), else undefined. */
export function loadedRowsOf(source: MarginalSource): TabularRowSource | undefined {
  const s = source as MarginalSource & Partial<TabularRowSource>;
  return typeof s.tabularRows === 'function' ? loadOnce(() => s.tabularRows!()) : undefined;
}

/**
 * The rows of `rows` (or, without it, of an in-memory source: coded simulations, tests) laid out
 * for the study's encoding. A continuous column without values (an in-memory EncodedTable keeps
 * codes only; `simulate --schema` passes its raw values as `rows`) gets NaN, i.e. its bin's centre
 * (TabularEncoding.offsetOf). Throws SOURCE_UNAVAILABLE for a
 * source that cannot hand rows, before anything is charged.
 */
export async function trainingRowsOf(source: MarginalSource, rows: TabularRowSource | undefined, encoding: TabularEncoding): Promise<TabularRows> {
  let t: TabularRows;
  if (rows !== undefined) t = await rows.tabularRows();
  else if (source instanceof InMemoryMarginalSource) {
    t = { rows: source.table.rowCount, codes: source.table.columns.map((c) => Int32Array.from(c)), values: source.table.columns.map(() => null) };
  } else {
    throw new FedsynthError(ErrorCode.SourceUnavailable, 'this agent\'s data source does not serve row-level training (mechanism dpsgd)');
  }
  if (t.codes.length !== encoding.columns.length) {
    throw new FedsynthError(ErrorCode.InvalidData, `the table has ${t.codes.length} columns, the model ${encoding.columns.length}`);
  }
  return {
    rows: t.rows,
    codes: t.codes,
    values: encoding.columns.map((b, j) => (b.kind === 'continuous' ? (t.values[j] ?? new Float64Array(t.rows).fill(Number.NaN)) : null)),
  };
}
