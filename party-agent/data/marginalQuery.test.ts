import { describe, expect, it } from 'vitest';
import { chunkSets } from './marginalQuery.js';

describe('chunkSets', () => {
  const sets = [[0, 1], [1, 2], [0, 2, 3], [3]];
  const sizes = [10, 10, 100, 5];

  it('without sizes only the GROUPING() column limit splits: small plans are one statement', () => {
    expect(chunkSets(sets)).toEqual([[0, 1, 2, 3]]);
  });

  it('splits when the estimated result rows (cells, at most the row count, per set) exceed the cap', () => {
    // Cells: 100, 1000, 5000, 5 → 6105 in all.
    expect(chunkSets(sets, sizes, Infinity, 6105)).toEqual([[0, 1, 2, 3]]);
    expect(chunkSets(sets, sizes, Infinity, 1100)).toEqual([[0, 1], [2], [3]]);
    // 400 rows: a set cannot have more groups than rows → 100 + 400 + 400 + 5.
    expect(chunkSets(sets, sizes, 400, 905)).toEqual([[0, 1, 2, 3]]);
    expect(chunkSets(sets, sizes, 400, 904)).toEqual([[0, 1, 2], [3]]);
  });

  it('a set above the cap on its own still gets a statement, and every set appears once in order', () => {
    const got = chunkSets(sets, sizes, Infinity, 1);
    expect(got).toEqual([[0], [1], [2], [3]]);
  });

  it('more than 31 distinct columns split (GROUPING() limit)', () => {
    const wide = Array.from({ length: 40 }, (_, i) => [i]);
    const got = chunkSets(wide);
    expect(got.map((c) => c.length)).toEqual([31, 9]);
  });
});
