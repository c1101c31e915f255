// singlingOutSizeCorrection: how many of a set of queries would single out a row in a table of size
// n_train, estimated from the control table (size n_control), so the control rate is comparable.
//
// A query of weight w (chance to match a random person) singles out exactly one of n rows with
// probability n·w·(1−w)^(n−1) (Cohen & Nissim, PNAS 2020). Summed over queries with weights spread
// on [0, w_eff], the number of singling-out queries is norm·F(n, w_eff) with
// F(n, w) = (1 − (n·w + 1)(1 − w)^n)/(n + 1), the integral over [0, w]. As Anonymeter does, the two
// parameters are fitted to the successes on random control subsamples of growing size, and the
// control count is scaled by F(n_train)/F(n_control) (norm cancels).
import { seededRandomSource } from '../../dp/random/RandomSource.js';
import { uniformInt } from '../../dp/random/uniform.js';

/** F(n, w): the singling-out probability integrated over query weights in [0, w]. */
export function singlingOutIntegral(n: number, w: number): number {
  if (w <= 0) return 0;
  // (1 - w)^n via log1p keeps precision for tiny w.
  return (1 - (n * w + 1) * Math.exp(n * Math.log1p(-Math.min(w, 1 - 1e-16)))) / (n + 1);
}

/** Least-squares fit of successes(n) ≈ norm·F(n, w) over w (log grid then golden section); returns w. */
export function fitEffectiveWeight(sizes: readonly number[], successes: readonly number[]): number {
  const sse = (w: number): number => {
    let fy = 0;
    let ff = 0;
    for (let i = 0; i < sizes.length; i++) {
      const f = singlingOutIntegral(sizes[i], w);
      fy += f * successes[i];
      ff += f * f;
    }
    if (ff === 0) return Infinity;
    const norm = Math.max(0, fy / ff);
    let s = 0;
    for (let i = 0; i < sizes.length; i++) s += (successes[i] - norm * singlingOutIntegral(sizes[i], w)) ** 2;
    return s;
  };
  const lo = -9;
  const steps = 360;
  let best = 0;
  let bestS = Infinity;
  for (let i = 0; i <= steps; i++) {
    const s = sse(10 ** (lo + (-lo * i) / steps));
    if (s < bestS) [best, bestS] = [i, s];
  }
  let a = lo + (-lo * Math.max(0, best - 1)) / steps;
  let b = lo + (-lo * Math.min(steps, best + 1)) / steps;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 40; it++) {
    const x1 = b - g * (b - a);
    const x2 = a + g * (b - a);
    if (sse(10 ** x1) <= sse(10 ** x2)) b = x2;
    else a = x1;
  }
  return 10 ** ((a + b) / 2);
}

/**
 * The factor F(nTarget, w)/F(nControl, w) with w fitted on `countAt(k)`: the successes on a random
 * subsample of k control rows (10 sizes from min(1000, nControl/4) to nControl, 5 draws each).
 */
export function singlingOutSizeCorrection(
  nControl: number,
  nTarget: number,
  successesOnSubsample: (rows: Int32Array) => number,
  seed: string,
): number {
  if (nControl === nTarget || nControl < 2) return 1;
  const rng = seededRandomSource(seed, 'risk/singling-out/size-correction');
  const low = Math.max(1, Math.min(1000, Math.ceil(nControl / 4)));
  const sizes: number[] = [];
  const successes: number[] = [];
  const idx = Int32Array.from({ length: nControl }, (_, i) => i);
  for (let s = 0; s < 10; s++) {
    const k = Math.round(low + ((nControl - low) * s) / 9);
    for (let rep = 0; rep < 5; rep++) {
      for (let i = 0; i < k; i++) {
        const j = i + uniformInt(rng, nControl - i);
        [idx[i], idx[j]] = [idx[j], idx[i]];
      }
      sizes.push(k);
      successes.push(successesOnSubsample(idx.slice(0, k)));
    }
  }
  if (successes.every((v) => v === 0)) return 1;
  const w = fitEffectiveWeight(sizes, successes);
  const fc = singlingOutIntegral(nControl, w);
  return fc > 0 ? singlingOutIntegral(nTarget, w) / fc : 1;
}
