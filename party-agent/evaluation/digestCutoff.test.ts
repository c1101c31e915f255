// digestCutoff finds the k-th smallest (hi, lo, row) as a full sort would, with many equal digests too.
import { expect, it } from 'vitest';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformInt } from '../../shared/dp/random/uniform.js';
import { digestBefore, digestCutoff, type DigestBlock, type DigestKey } from './digestCutoff.js';

function sorted(hi: Float64Array, lo: Float64Array): DigestKey[] {
  return Array.from(hi, (h, row) => ({ hi: h, lo: lo[row]!, row })).sort((a, b) => (digestBefore(a, b) ? -1 : 1));
}

function blocksOf(hi: Float64Array, lo: Float64Array, size: number): () => Iterable<DigestBlock> {
  return function* () {
    for (let s = 0; s < hi.length; s += size) yield { start: s, hi: hi.subarray(s, s + size), lo: lo.subarray(s, s + size) };
  };
}

it('equals the sorted order for random 52-bit digests, collected at once or refined digit by digit', () => {
  const rng = seededRandomSource('cutoff', 'random');
  const n = 3_000;
  const big = (): number => uniformInt(rng, 2 ** 26) * 2 ** 26 + uniformInt(rng, 2 ** 26);
  const hi = Float64Array.from({ length: n }, big);
  const lo = Float64Array.from({ length: n }, big);
  const want = sorted(hi, lo);
  for (const k of [1, 2, 599, 1_500, n]) {
    expect(digestCutoff(blocksOf(hi, lo, 256), k)).toEqual(want[k - 1]);
    // collect = 1: every digit is refined by a histogram pass before the last rows are gathered.
    expect(digestCutoff(blocksOf(hi, lo, 256), k, 1)).toEqual(want[k - 1]);
  }
});

it('orders equal digests by row, also when every digit is fixed (duplicate rows)', () => {
  const rng = seededRandomSource('cutoff', 'dups');
  const n = 2_000;
  // Four distinct digests (duplicate rows give equal digests), sharing their high digits.
  const hi = Float64Array.from({ length: n }, () => 2 ** 40 + uniformInt(rng, 2));
  const lo = Float64Array.from({ length: n }, () => 7 + uniformInt(rng, 2) * 2 ** 50);
  const want = sorted(hi, lo);
  for (const k of [1, 333, 1_000, n]) {
    expect(digestCutoff(blocksOf(hi, lo, 100), k, 4)).toEqual(want[k - 1]);
    expect(digestCutoff(blocksOf(hi, lo, 100), k)).toEqual(want[k - 1]);
  }
  expect(() => digestCutoff(blocksOf(hi, lo, 100), n + 1)).toThrow(/beyond/);
});
