// InMemoryMarginalSource: a MarginalSource over an EncodedTable held in memory.
// Used by simulations, tests and benches; counts with countMarginals.
import type { MarginalSource } from './MarginalSource.js';
import type { EncodedTable } from './EncodedTable.js';
import { countMarginals } from './countMarginals.js';

/** Exact marginal counts of an in-memory table (attribute sets in domain order). */
export class InMemoryMarginalSource implements MarginalSource {
  constructor(readonly table: EncodedTable) {}

  async rowCount(): Promise<number> {
    return this.table.rowCount;
  }

  async marginals(attrSets: readonly (readonly string[])[]): Promise<Float64Array[]> {
    return countMarginals(this.table, this.table.domain, attrSets);
  }

  async close(): Promise<void> {}
}
