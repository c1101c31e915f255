// pearsonFromCounts: Pearson correlation of two ordinal columns, taking the integer codes as values,
// computed from their contingency counts (so it also works on securely summed counts).

/** Pearson r in [-1, 1] for a row-major `ra x rb` count table; 0 when a column is constant. */
export function pearsonFromCounts(counts: ArrayLike<number>, ra: number, rb: number): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let i = 0; i < ra; i++) {
    for (let j = 0; j < rb; j++) {
      const v = Math.max(0, counts[i * rb + j]);
      n += v;
      sx += v * i;
      sy += v * j;
      sxx += v * i * i;
      syy += v * j * j;
      sxy += v * i * j;
    }
  }
  if (n <= 0) return 0;
  const vx = sxx / n - (sx / n) ** 2;
  const vy = syy / n - (sy / n) ** 2;
  if (vx <= 1e-12 || vy <= 1e-12) return 0;
  const r = (sxy / n - (sx / n) * (sy / n)) / Math.sqrt(vx * vy);
  return Math.max(-1, Math.min(1, r));
}
