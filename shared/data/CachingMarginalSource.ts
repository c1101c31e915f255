// CachingMarginalSource: remembers exact marginal counts already computed by a slower source
// (DuckDB, PostgreSQL), so adaptive mechanisms that re-score the same candidates every round do not
// rescan the silo. The cache lives only in the agent's memory and is never sent anywhere.
import type { MarginalSource } from './MarginalSource.js';

export class CachingMarginalSource implements MarginalSource {
  private readonly cache = new Map<string, Float64Array>();
  private rows: number | undefined;

  constructor(
    /** The source counted on a miss (the agent's query thread counts an in-memory one itself, cached alike). */
    readonly inner: MarginalSource,
    readonly maxCells = 50_000_000,
  ) {}

  async rowCount(): Promise<number> {
    this.rows ??= await this.inner.rowCount();
    return this.rows;
  }

  async marginals(attrSets: readonly (readonly string[])[]): Promise<Float64Array[]> {
    const keys = attrSets.map((s) => s.join('\u0000'));
    const missing: (readonly string[])[] = [];
    const seen = new Set<string>();
    keys.forEach((k, i) => {
      if (!this.cache.has(k) && !seen.has(k)) {
        seen.add(k);
        missing.push(attrSets[i]);
      }
    });
    if (missing.length > 0) {
      const fresh = await this.inner.marginals(missing);
      let cells = [...this.cache.values()].reduce((n, v) => n + v.length, 0);
      missing.forEach((s, i) => {
        cells += fresh[i].length;
        if (cells <= this.maxCells) this.cache.set(s.join('\u0000'), fresh[i]);
      });
      if (cells > this.maxCells) {
        // Too big to keep: answer from `fresh` for this call without caching the rest.
        const byKey = new Map(missing.map((s, i) => [s.join('\u0000'), fresh[i]]));
        return keys.map((k) => Float64Array.from((this.cache.get(k) ?? byKey.get(k))!));
      }
    }
    // Copies: callers may scale or overwrite what they get.
    return keys.map((k) => Float64Array.from(this.cache.get(k)!));
  }

  async close(): Promise<void> {
    this.cache.clear();
    await this.inner.close();
  }
}
