// wasserstein1: the 1-D Wasserstein (earth mover's) distance between two samples of numbers,
// divided by a public range — the continuous-column fidelity metric of `fedsynth evaluate`.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/**
 * W1(a, b) / range, where W1 = integral over t of |F_a(t) - F_b(t)| dt, F the empirical CDFs
 * (Vallender 1974: in one dimension W1 is the L1 distance between the CDFs). The samples may differ
 * in size; exact for the empirical distributions (a merge of the sorted samples, O(n log n)). With
 * `range` the column's public span (the schema's [e_0, e_m]) the result is in [0, 1] for samples
 * inside it: 0 identical, 1 all mass at opposite ends. Throws INVALID_ARGUMENT on an empty sample,
 * a non-finite value or a range that is not a positive finite number.
 */
export function wasserstein1(a: ArrayLike<number>, b: ArrayLike<number>, range: number): number {
  if (!(range > 0 && Number.isFinite(range))) throw new FedsynthError(ErrorCode.InvalidArgument, `wasserstein1: range must be a positive finite number, got ${range}`);
  const x = sortedFinite(a, 'a');
  const y = sortedFinite(b, 'b');
  let i = 0;
  let j = 0;
  let s = 0;
  let prev = Math.min(x[0], y[0]);
  while (i < x.length || j < y.length) {
    const t = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
    s += Math.abs(i / x.length - j / y.length) * (t - prev);
    prev = t;
    while (i < x.length && x[i] === t) i++;
    while (j < y.length && y[j] === t) j++;
  }
  return s / range;
}

function sortedFinite(v: ArrayLike<number>, name: string): Float64Array {
  if (v.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, `wasserstein1: sample ${name} is empty`);
  const out = Float64Array.from(v);
  for (const x of out) if (!Number.isFinite(x)) throw new FedsynthError(ErrorCode.InvalidArgument, `wasserstein1: sample ${name} holds ${x}`);
  return out.sort();
}
