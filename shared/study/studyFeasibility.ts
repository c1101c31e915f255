// studyFeasibility: the terms a study must meet to be able to finish at all (row and cell bounds,
// enough invited parties for its threshold, colluders and dropouts), checked before anyone is charged.

/**
 * Most synthetic rows a study may ask for. The sampler holds one Int32Array per column (4 bytes per
 * cell) and the writers hold the decoded rows; 10^8 rows is far above any consortium's real tables
 * and keeps every typed-array length an exact integer below 2^31.
 */
export const MAX_SYNTHETIC_ROWS = 100_000_000;

/** Most synthetic cells (rows x columns): 2^28 cells is 1 GiB of sampled codes at the coordinator. */
export const MAX_SYNTHETIC_CELLS = 2 ** 28;

/** The terms of a study that decide whether it can finish, as plain numbers (no wire types). */
export interface StudyFeasibilityTerms {
  syntheticRows: number;
  /** Columns of the study's domain (sampled columns). */
  columns: number;
  /** t: fewest parties that may answer a round. */
  minParties: number;
  colluders: number;
  dropouts: number;
  /** Parties invited; omitted when the checker does not know the invitation list. */
  invited?: number;
  /** The study's rho and the part reserved for the pooled risk release (StudySpec.evaluationRho); omitted = none. */
  rho?: number;
  evaluationRho?: number;
  /** The study's mechanism is dpsgd (its budget is an RDP curve: no pooled risk reservation). */
  dpsgd?: boolean;
}

/** One reason a study cannot finish, with the spec field it is about (proto field name). */
export interface FeasibilityProblem {
  field: string;
  message: string;
}

/**
 * Every reason the study could not finish (empty when none). A round needs at least
 * max(minParties, colluders + dropouts + 1) answering parties (StudyRunner, ConsortiumOracle), so
 * fewer invited parties can never complete one: such a study must not start, let alone charge.
 */
export function feasibilityProblems(t: StudyFeasibilityTerms): FeasibilityProblem[] {
  const problems: FeasibilityProblem[] = [];
  if (!Number.isSafeInteger(t.syntheticRows) || t.syntheticRows < 1 || t.syntheticRows > MAX_SYNTHETIC_ROWS) {
    problems.push({ field: 'synthetic_rows', message: `${t.syntheticRows} synthetic rows: must be an integer from 1 to ${MAX_SYNTHETIC_ROWS}` });
  } else if (t.syntheticRows * Math.max(1, t.columns) > MAX_SYNTHETIC_CELLS) {
    const most = Math.floor(MAX_SYNTHETIC_CELLS / Math.max(1, t.columns));
    problems.push({ field: 'synthetic_rows', message: `${t.syntheticRows} rows x ${t.columns} columns exceeds ${MAX_SYNTHETIC_CELLS} synthetic cells; at most ${most} rows for ${t.columns} columns` });
  }
  const reserved = t.evaluationRho ?? 0;
  if (reserved !== 0) {
    // The pooled risk release is paid out of the study's stated budget, up front: a study whose
    // mechanism would have nothing left, or whose release could not be counted, does not start.
    if (!(Number.isFinite(reserved) && reserved > 0)) problems.push({ field: 'evaluation_rho', message: `${reserved} is not a non-negative number` });
    else if (t.rho !== undefined && !(reserved < t.rho)) problems.push({ field: 'evaluation_rho', message: `${reserved} leaves nothing of the study's rho ${t.rho} for the mechanism` });
    if (t.columns < 2) problems.push({ field: 'evaluation_rho', message: 'the pooled risk release needs at least two columns' });
    if (t.dpsgd === true) problems.push({ field: 'evaluation_rho', message: 'the pooled risk release is not offered with the dpsgd mechanism (its budget is an RDP curve)' });
  }
  if (t.invited !== undefined) {
    const needed = Math.max(t.minParties, t.colluders + t.dropouts + 1, 1);
    if (t.invited < needed) {
      const why = t.minParties >= t.colluders + t.dropouts + 1 ? `min_parties = ${t.minParties}` : `colluders + dropouts + 1 = ${t.colluders + t.dropouts + 1}`;
      problems.push({ field: 'min_parties', message: `every round needs at least ${needed} parties (${why}) but only ${t.invited} ${t.invited === 1 ? 'is' : 'are'} invited` });
    }
  }
  return problems;
}
