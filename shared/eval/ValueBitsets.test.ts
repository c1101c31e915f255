// ValueBitsets' filter against a column-by-column count: it keeps exactly the rows with fewer than
// `bound` mismatches on the columns that have bitsets (up to 256 values), for every bound, on a
// table with duplicate rows, a partial last word and columns too wide for bitsets.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { buildValueBitsets, rowsBelow } from './ValueBitsets.js';

describe('rowsBelow', () => {
  it('keeps exactly the rows under the bound on the columns with bitsets (brute force)', () => {
    const rng = seededRandomSource('value-bitsets', 'table');
    const sizes = [2, 3, 256, 257, 5, 70_000, 16, 4, 4, 2];
    const m = sizes.length;
    const rows = 1000 + 13;
    const codes = new Int32Array(rows * m);
    for (let r = 0; r < rows; r++) {
      if (r > 0 && uniformInt(rng, 3) === 0) {
        const s = uniformInt(rng, r) * m;
        codes.copyWithin(r * m, s, s + m);
      } else for (let p = 0; p < m; p++) codes[r * m + p] = uniformInt(rng, Math.min(sizes[p], 6));
    }
    const vb = buildValueBitsets(sizes, codes, rows);
    expect([...vb.pos]).toEqual([0, 1, 2, 4, 6, 7, 8, 9]);
    const planes = new Int32Array(m + 1);
    const q = new Int32Array(m);
    const wrong: string[] = [];
    let kept = 0;
    for (let t = 0; t < 40; t++) {
      const s = uniformInt(rng, rows) * m;
      q.set(codes.subarray(s, s + m));
      for (let k = uniformInt(rng, 4); k > 0; k--) q[uniformInt(rng, m)] = uniformInt(rng, 6);
      for (let bound = 1; bound <= vb.pos.length + 1; bound++) {
        for (let w = 0; w < vb.words; w++) {
          const mask = rowsBelow(vb, q, w, bound, planes);
          for (let i = 0; i < 32; i++) {
            const r = w * 32 + i;
            let d = 0;
            for (const p of vb.pos) if (codes[r * m + p] !== q[p]) d++;
            const want = r < rows && d < bound;
            if (((mask >>> i) & 1) === 1 !== want) wrong.push(`query ${t} bound ${bound} row ${r}`);
            if (want) kept++;
          }
        }
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(kept).toBeGreaterThan(0);
  });
});
