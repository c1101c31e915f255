// digestCutoff: the k-th smallest of n row digests (hi, lo, row index), found in a few streamed passes
// over the digests with a bounded histogram, so the control split never sorts or holds every digest.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

/** A block of digests of consecutive rows: `hi[i]`, `lo[i]` (integers below 2^52) of row `start + i`. */
export interface DigestBlock {
  readonly start: number;
  readonly hi: Float64Array;
  readonly lo: Float64Array;
}

/** A digest with its row, ordered by (hi, lo, row). */
export interface DigestKey {
  readonly hi: number;
  readonly lo: number;
  readonly row: number;
}

/** (a < b) in the order (hi, lo, row). */
export function digestBefore(a: DigestKey, b: DigestKey): boolean {
  return a.hi !== b.hi ? a.hi < b.hi : a.lo !== b.lo ? a.lo < b.lo : a.row < b.row;
}

/** The digits a digest is refined by, most significant first: hi then lo, 52 bits each as 16+16+16+4. */
const DIGITS: readonly ((hi: number, lo: number) => number)[] = [0, 1].flatMap((part) =>
  [36, 20, 4, 0].map((shift) => (hi: number, lo: number): number => {
    const x = part === 0 ? hi : lo;
    return shift === 0 ? x % 16 : Math.floor(x / 2 ** shift) % 65536;
  }),
);

/**
 * The k-th smallest (1-based) digest of the rows in `blocks` (read again on each call, in row order)
 * in the order (hi, lo, row): the same as sorting every digest and taking entry k-1. Each pass fixes one
 * more digit of the answer by a histogram of the rows that share the digits fixed so far; once at most
 * `collect` rows remain they are gathered and sorted. Holds a 65,536-entry histogram or `collect` keys.
 */
export function digestCutoff(blocks: () => Iterable<DigestBlock>, k: number, collect = 65_536): DigestKey {
  if (!Number.isInteger(k) || k < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `digest cutoff: k must be a positive integer, got ${k}`);
  const fixed: number[] = [];
  const inside = (hi: number, lo: number): boolean => {
    for (let d = 0; d < fixed.length; d++) if (DIGITS[d]!(hi, lo) !== fixed[d]) return false;
    return true;
  };
  let rank = k;
  let remaining = Infinity;
  while (fixed.length < DIGITS.length && remaining > collect) {
    const digit = DIGITS[fixed.length]!;
    const hist = new Float64Array(65536);
    remaining = 0;
    for (const b of blocks()) {
      for (let i = 0; i < b.hi.length; i++) {
        const hi = b.hi[i]!;
        const lo = b.lo[i]!;
        if (inside(hi, lo)) {
          hist[digit(hi, lo)]++;
          remaining++;
        }
      }
    }
    if (remaining < rank) throw new FedsynthError(ErrorCode.InvalidArgument, `digest cutoff: k = ${k} is beyond the rows read`);
    let v = 0;
    while (rank > hist[v]!) rank -= hist[v++]!;
    fixed.push(v);
    remaining = hist[v]!;
  }
  // At most `collect` rows share the fixed digits (or all digits are fixed: equal digests, ordered by row).
  const keys: DigestKey[] = [];
  for (const b of blocks()) {
    for (let i = 0; i < b.hi.length; i++) {
      const hi = b.hi[i]!;
      const lo = b.lo[i]!;
      if (!inside(hi, lo)) continue;
      if (fixed.length === DIGITS.length) {
        // Every row left has this very digest: the rank-th of them in row order.
        if (--rank === 0) return { hi, lo, row: b.start + i };
      } else keys.push({ hi, lo, row: b.start + i });
    }
  }
  if (fixed.length === DIGITS.length) throw new FedsynthError(ErrorCode.Internal, 'digest cutoff: the rows changed between passes');
  keys.sort((a, b) => (digestBefore(a, b) ? -1 : digestBefore(b, a) ? 1 : 0));
  const key = keys[rank - 1];
  if (key === undefined) throw new FedsynthError(ErrorCode.Internal, 'digest cutoff: the rows changed between passes');
  return key;
}
