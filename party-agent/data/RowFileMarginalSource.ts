// RowFileMarginalSource: exact marginal counts of a party's rows kept in a CodeRowFile, counted one
// block at a time (integer counts summed over blocks: bit for bit the counts of the whole table).
import type { MarginalSource } from '../../shared/data/MarginalSource.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { countMarginals } from '../../shared/data/countMarginals.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import type { CodeRowFile, CodeRowPeak } from './CodeRowFile.js';

/** Counts from the file; between blocks the event loop gets a turn (heartbeats keep flowing). */
export class RowFileMarginalSource implements MarginalSource {
  constructor(
    readonly file: CodeRowFile,
    private readonly domain: Domain,
    /** Filled with the most rows held at once (tests). */
    private readonly peak?: CodeRowPeak,
  ) {}

  async rowCount(): Promise<number> {
    return this.file.rows;
  }

  async marginals(attrSets: readonly (readonly string[])[]): Promise<Float64Array[]> {
    let totals: Float64Array[] | undefined;
    for (const b of this.file.blocks(this.peak)) {
      const counts = countMarginals(new EncodedTable(this.domain, b.codes), this.domain, attrSets);
      if (totals === undefined) totals = counts;
      else {
        counts.forEach((c, i) => {
          const t = totals![i]!;
          for (let x = 0; x < c.length; x++) t[x] += c[x]!;
        });
      }
      await new Promise((r) => setImmediate(r));
    }
    return totals ?? countMarginals(new EncodedTable(this.domain, this.domain.shape.map(() => new Uint16Array(0))), this.domain, attrSets);
  }

  async close(): Promise<void> {}
}
