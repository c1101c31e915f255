// PackedCodes against a column-by-column count: every field width (domain sizes at each width's
// edge, codes at their largest), many equal rows and queries (distance 0 and ties), every limit.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../dp/random/RandomSource.js';
import { uniformInt } from '../dp/random/uniform.js';
import { packCodes, packedDistance, packQuery } from './PackedCodes.js';

function brute(codes: Int32Array, m: number, r: number, q: Int32Array): number {
  let d = 0;
  for (let p = 0; p < m; p++) if (codes[r * m + p] !== q[p]) d++;
  return d;
}

describe('packedDistance', () => {
  const cases: [string, number[]][] = [
    ['mixed widths', [2, 16, 17, 256, 257, 65_536, 65_537, 3, 12, 100, 2 ** 31 - 1, 16, 16, 16, 16, 16, 16, 16, 5]],
    ['nibbles only', Array.from({ length: 40 }, (_, i) => 2 + (i % 15))],
    ['one column', [7]],
  ];
  for (const [name, sizes] of cases) {
    it(`equals the brute-force count when <= limit, exceeds the limit otherwise (${name})`, () => {
      const rng = seededRandomSource('packed-codes', name);
      const m = sizes.length;
      // Codes drawn from {0, 1, size-1, random}: the largest code of each field appears often.
      const draw = (p: number): number => {
        const k = uniformInt(rng, 4);
        return k === 0 ? 0 : k === 1 ? Math.min(1, sizes[p] - 1) : k === 2 ? sizes[p] - 1 : uniformInt(rng, sizes[p]);
      };
      const rows = 400;
      const codes = new Int32Array(rows * m);
      for (let r = 0; r < rows; r++) {
        // One row in four repeats an earlier row (duplicates: ties at every distance).
        if (r > 0 && uniformInt(rng, 4) === 0) {
          const s = uniformInt(rng, r) * m;
          codes.copyWithin(r * m, s, s + m);
        } else for (let p = 0; p < m; p++) codes[r * m + p] = draw(p);
      }
      const packed = packCodes(sizes, codes, rows);
      const pq = new Int32Array(packed.words);
      const q = new Int32Array(m);
      let zeros = 0;
      const wrong: string[] = [];
      for (let t = 0; t < 60; t++) {
        // Half the queries are a row with a few columns changed.
        if (t % 2 === 0) {
          const s = uniformInt(rng, rows) * m;
          q.set(codes.subarray(s, s + m));
          for (let k = uniformInt(rng, 3); k > 0; k--) {
            const p = uniformInt(rng, m);
            q[p] = draw(p);
          }
        } else for (let p = 0; p < m; p++) q[p] = draw(p);
        packQuery(packed, q, pq);
        for (let r = 0; r < rows; r++) {
          const want = brute(codes, m, r, q);
          if (want === 0) zeros++;
          for (let limit = -1; limit <= m + 1; limit++) {
            const got = packedDistance(packed, r, pq, limit);
            if (want <= limit ? got !== want : got <= limit) wrong.push(`row ${r} limit ${limit}: ${got}, brute force ${want}`);
          }
        }
      }
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(zeros).toBeGreaterThan(0);
    });
  }

  it('packs 40 columns of up to 16 values in 5 words, wider domains in wider fields', () => {
    expect(packCodes(Array.from({ length: 40 }, () => 16), new Int32Array(0), 0).words).toBe(5);
    const p = packCodes([2, 300, 17, 70_000, 16], new Int32Array(0), 0);
    expect([p.nibbleEnd, p.byteEnd, p.halfEnd, p.words]).toEqual([1, 2, 3, 4]);
  });
});
