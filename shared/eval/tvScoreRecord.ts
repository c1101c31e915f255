// tvScoreRecord: the one-line JSON record of the reference scorer (../shared/tools/tvscore.mjs).
// Same keys, same order, same rounding (1e-6), so outputs can be compared as strings.
import type { TvSummary } from './totalVariation.js';

/** `{tv1_avg, tv1_max, ..., rows_real, rows_synth}` with values rounded to 6 decimals. */
export function tvScoreRecord(summary: TvSummary, rowsReal: number, rowsSynth: number): Record<string, number> {
  const out: Record<string, number> = {};
  summary.byWay.forEach((s, i) => {
    out[`tv${i + 1}_avg`] = Math.round(s.avg * 1e6) / 1e6;
    out[`tv${i + 1}_max`] = Math.round(s.max * 1e6) / 1e6;
  });
  out.rows_real = rowsReal;
  out.rows_synth = rowsSynth;
  return out;
}
