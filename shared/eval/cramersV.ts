// cramersV: Cramér's V association of two categorical columns from their contingency counts.
// V = sqrt(chi^2 / (n * (min(r, c) - 1))), r and c counting non-empty rows/columns (Cramér 1946, §21.9).

/** V in [0, 1] for a row-major `ra x rb` count table; 0 when a column is constant. */
export function cramersV(counts: ArrayLike<number>, ra: number, rb: number): number {
  const rowSum = new Float64Array(ra);
  const colSum = new Float64Array(rb);
  let n = 0;
  for (let i = 0; i < ra; i++) {
    for (let j = 0; j < rb; j++) {
      const v = Math.max(0, counts[i * rb + j]);
      rowSum[i] += v;
      colSum[j] += v;
      n += v;
    }
  }
  const r = rowSum.reduce((k, v) => k + (v > 0 ? 1 : 0), 0);
  const c = colSum.reduce((k, v) => k + (v > 0 ? 1 : 0), 0);
  const df = Math.min(r, c) - 1;
  if (n <= 0 || df <= 0) return 0;
  // chi^2 / n = sum n_ij^2 / (n_i. n_.j) - 1
  let s = 0;
  for (let i = 0; i < ra; i++) {
    if (rowSum[i] <= 0) continue;
    for (let j = 0; j < rb; j++) {
      const v = Math.max(0, counts[i * rb + j]);
      if (v > 0) s += (v * v) / (rowSum[i] * colSum[j]);
    }
  }
  const phi2 = Math.max(0, s - 1);
  return Math.min(1, Math.sqrt(phi2 / df));
}
