// MarginalSource: how a party's rows are counted, wherever they live (memory, DuckDB, PostgreSQL).
// The synthesis engine and the agent ask only for exact marginal counts; rows never leave it.

/**
 * A party's local data, seen only through marginal counts. Attribute names and cell order follow
 * `Measurement` (shared/synth/Measurement.ts): attrs in domain column order, row-major, first
 * attribute slowest. Values are encoded integer codes 0..size-1 of the consortium domain.
 */
export interface MarginalSource {
  /** Number of local rows (after validation). Stays at the party: never sent un-noised. */
  rowCount(): Promise<number>;
  /** Exact counts of every cell of each attribute set, all computed in one pass where possible. */
  marginals(attrSets: readonly (readonly string[])[]): Promise<Float64Array[]>;
  /** Release resources (connections, DuckDB instances). */
  close(): Promise<void>;
}
