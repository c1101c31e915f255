// MeasuredMarginalTally: the synthetic data's counts of every measured marginal, added up chunk by
// chunk as the rows are drawn, so fidelity to the measurements never needs the whole table.
import { makeCodeTable } from './CodeTable.js';
import { marginalCounts, marginalCells } from './marginalCounts.js';
import { fidelityOfCounts, type MeasuredMarginal, type MeasurementFidelity } from './fidelityToMeasurements.js';

export class MeasuredMarginalTally {
  private readonly sets: number[][];
  private readonly counts: Float64Array[];
  private total = 0;

  /** `measured` over `columns` (domain order, with their `sizes`); each chunk is checked like makeCodeTable. */
  constructor(
    private readonly columns: readonly string[],
    private readonly sizes: readonly number[],
    private readonly measured: readonly MeasuredMarginal[],
  ) {
    this.sets = measured.map((m) => m.attrs.map((a) => columns.indexOf(a)));
    this.counts = this.sets.map((s) => new Float64Array(marginalCells(sizes, s)));
  }

  /** Adds one chunk of rows (one Int32Array per column, domain order). */
  add(chunk: readonly Int32Array[]): void {
    const t = makeCodeTable(this.columns, this.sizes, chunk);
    this.sets.forEach((s, i) => marginalCounts(t, s, this.counts[i]));
    this.total += t.rows;
  }

  /** Rows added so far. */
  get rows(): number {
    return this.total;
  }

  /** fidelityToMeasurements of the rows added so far (equal to it on their concatenation). */
  fidelity(): MeasurementFidelity[] {
    return this.measured.map((m, i) => fidelityOfCounts(m, this.counts[i], this.total));
  }
}
