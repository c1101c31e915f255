// trainingRows: a party's rows as the generator's TabularRows for the gradient path (mechanism
// dpsgd); they stay in the agent's memory, only the noisy, masked gradient sum leaves.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import type { TabularEncoding, TabularRows } from '../../shared/neural/TabularEncoding.js';

/**
 * The rows of an in-memory source (simulations, tests): the integer codes of every column. A
 * continuous column's value inside its bin is not kept by an EncodedTable: its offset is the bin's
 * centre (TabularEncoding.offsetOf of NaN is 0). Sources reading CSV/Parquet/PostgreSQL do not serve
 * row-level training yet: SOURCE_UNAVAILABLE, before anything is charged.
 */
export function trainingRowsOf(source: MarginalSource, encoding: TabularEncoding): TabularRows {
  if (!(source instanceof InMemoryMarginalSource)) {
    throw new FedsynthError(ErrorCode.SourceUnavailable, 'this agent\'s data source does not serve row-level training (mechanism dpsgd) yet; only in-memory sources do');
  }
  const t = source.table;
  if (t.columns.length !== encoding.columns.length) {
    throw new FedsynthError(ErrorCode.InvalidData, `the table has ${t.columns.length} columns, the model ${encoding.columns.length}`);
  }
  return {
    rows: t.rowCount,
    codes: t.columns.map((c) => Int32Array.from(c)),
    values: encoding.columns.map((b) => (b.kind === 'continuous' ? new Float64Array(t.rowCount).fill(Number.NaN) : null)),
  };
}
