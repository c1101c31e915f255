// rowKeys: exact-match lookups of whole rows — the share of synthetic rows that copy a real row,
// and the share of real rows reproduced verbatim in the synthetic data.
import type { CodeTable } from './CodeTable.js';

function keys(t: CodeTable): string[] {
  const out = new Array<string>(t.rows);
  const row = new Array<number>(t.columns.length);
  for (let r = 0; r < t.rows; r++) {
    for (let c = 0; c < row.length; c++) row[c] = t.data[c][r];
    out[r] = row.join(',');
  }
  return out;
}

/** Counts of exact copies in both directions (additive across parties for `realReproduced`). */
export interface ExactMatchCounts {
  /** Synthetic rows equal to at least one row of `real`. */
  readonly synthCopies: number;
  /** Rows of `real` equal to at least one synthetic row. */
  readonly realReproduced: number;
}

/** Exact whole-row matches between `real` and `synth` (same domain). */
export function exactMatchCounts(real: CodeTable, synth: CodeTable): ExactMatchCounts {
  const rk = keys(real);
  const sk = keys(synth);
  const realSet = new Set(rk);
  const synthSet = new Set(sk);
  let synthCopies = 0;
  for (const k of sk) if (realSet.has(k)) synthCopies++;
  let realReproduced = 0;
  for (const k of rk) if (synthSet.has(k)) realReproduced++;
  return { synthCopies, realReproduced };
}
