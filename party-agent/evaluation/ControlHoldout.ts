// ControlHoldout: the control sample a party holds back before any release (Anonymeter's control
// set): those rows are never counted for a study, only compared with the delivered synthetic data.
//
// The split is a seeded sample of `controlRows` row indices; the seed is created once per state
// directory and kept (startAgent), so a restarted agent holds back the same rows and no control row
// ever enters a release. Needs every validated row in memory (the SQL sources hand at most 200,000).
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { sampleRows } from '../../shared/eval/sampleRows.js';
import type { LocalRowSource } from './LocalEvaluation.js';

/** The training part (what rounds count) and the rows of both parts for the local evaluation. */
export interface HeldOutControl {
  readonly source: MarginalSource;
  readonly localRows: LocalRowSource;
  readonly trainRows: number;
  readonly controlRows: number;
}

/**
 * Splits the validated rows of a source into training and control. `totalRows` is the source's
 * row count (checked against the rows read, so a capped read fails instead of mis-splitting).
 */
export async function holdOutControl(rows: LocalRowSource, totalRows: number, domain: Domain, controlRows: number, seed: string): Promise<HeldOutControl> {
  const cols = await rows.codeColumns();
  const n = cols[0]?.length ?? 0;
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
  for (const i of sampleRows(n, controlRows, seed, 'agent/control-holdout')) isControl[i] = 1;
  const pick = (want: number): Int32Array[] =>
    cols.map((col) => {
      const out = new Int32Array(want === 1 ? controlRows : n - controlRows);
      let k = 0;
      for (let i = 0; i < n; i++) if (isControl[i] === want) out[k++] = col[i];
      return out;
    });
  const train = pick(0);
  const control = pick(1);
  return {
    source: new InMemoryMarginalSource(new EncodedTable(domain, train)),
    localRows: { codeColumns: async () => train, controlColumns: async () => control },
    trainRows: n - controlRows,
    controlRows,
  };
}
