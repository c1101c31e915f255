// chiSquareGoodnessOfFit: Pearson's chi-square test of integer samples against a reference pmf.
// Used by the sampler tests and the sampler audit; critical values by Wilson-Hilferty (1931).
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';

export interface ChiSquareResult {
  readonly statistic: number;
  readonly degreesOfFreedom: number;
  /** Critical value at the requested alpha (reject if statistic > critical). */
  readonly critical: number;
  readonly reject: boolean;
}

/** Upper-tail standard normal quantiles for the supported significance levels. */
const Z_UPPER: Readonly<Record<string, number>> = {
  '0.01': 2.3263478740408408,
  '0.001': 3.090232306167813,
  '0.000001': 4.753424308822899,
  '1e-9': 5.997807015007687,
};

/**
 * Chi-square critical value with k degrees of freedom at level alpha, by the Wilson-Hilferty cube
 * approximation k (1 - 2/(9k) + z sqrt(2/(9k)))^3 (relative error < 1% for k >= 10 at these alphas).
 */
export function chiSquareCritical(k: number, alpha: number): number {
  const z = Z_UPPER[String(alpha)];
  if (z === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, `unsupported alpha ${alpha}`);
  const c = 2 / (9 * k);
  return k * (1 - c + z * Math.sqrt(c)) ** 3;
}

/**
 * Bins every integer y with n * pmf(y) >= minExpected as its own cell, the rest into a lower-tail
 * and an upper-tail cell (the support is scanned over [lo, hi], outside mass goes to the tails).
 */
export function chiSquareGoodnessOfFit(
  samples: ArrayLike<number>,
  pmf: (y: number) => number,
  lo: number,
  hi: number,
  alpha: number,
  minExpected = 5,
): ChiSquareResult {
  const n = samples.length;
  let first = lo;
  while (first <= hi && n * pmf(first) < minExpected) first++;
  let last = hi;
  while (last >= first && n * pmf(last) < minExpected) last--;
  if (last < first) throw new FedsynthError(ErrorCode.InvalidArgument, 'no cell has enough expected mass');
  const cells = last - first + 1;
  const observed = new Float64Array(cells + 2); // [lower tail, cells..., upper tail]
  for (let i = 0; i < n; i++) {
    const y = samples[i];
    if (y < first) observed[0]++;
    else if (y > last) observed[cells + 1]++;
    else observed[y - first + 1]++;
  }
  const expected = new Float64Array(cells + 2);
  let inner = 0;
  for (let y = first; y <= last; y++) {
    expected[y - first + 1] = n * pmf(y);
    inner += pmf(y);
  }
  let lowerMass = 0;
  for (let y = first - 1; y >= lo; y--) lowerMass += pmf(y);
  const upperMass = Math.max(0, 1 - inner - lowerMass);
  expected[0] = n * lowerMass;
  expected[cells + 1] = n * upperMass;
  let stat = 0;
  let df = -1;
  for (let i = 0; i < cells + 2; i++) {
    if (expected[i] < minExpected) {
      // merge an under-filled tail into its neighbouring cell
      const j = i === 0 ? 1 : cells;
      expected[j] += expected[i];
      observed[j] += observed[i];
      expected[i] = 0;
      observed[i] = 0;
    }
  }
  for (let i = 0; i < cells + 2; i++) {
    if (expected[i] === 0) continue;
    stat += (observed[i] - expected[i]) ** 2 / expected[i];
    df++;
  }
  const critical = chiSquareCritical(Math.max(df, 1), alpha);
  return { statistic: stat, degreesOfFreedom: df, critical, reject: stat > critical };
}
