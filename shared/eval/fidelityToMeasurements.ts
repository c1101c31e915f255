// fidelityToMeasurements: how close the synthetic data's marginals are to the study's noisy (DP)
// measurements — the fidelity a coordinator can report without any party's rows — and the noise floor.
import type { CodeTable } from './CodeTable.js';
import { marginalCounts } from './marginalCounts.js';
import { tvOfCounts } from './totalVariation.js';

/** One noisy marginal as measured in the study (cells in Measurement order). */
export interface MeasuredMarginal {
  readonly attrs: readonly string[];
  readonly values: ArrayLike<number>;
  readonly stddev: number;
}

export interface MeasurementFidelity {
  readonly attrs: readonly string[];
  readonly cells: number;
  readonly noiseStddev: number;
  /** TV between the synthetic marginal and the noisy measurement (negative counts clamped to 0, normalised). */
  readonly tv: number;
  /**
   * The TV the noise alone puts between the measurement and the true marginal, in expectation:
   * cells * stddev * sqrt(2/pi) / (2 * total) (E|N(0, s^2)| = s sqrt(2/pi)), at most 1. A synthetic
   * TV near it fits the measurement as well as the noise allows; far above it, the model lost something.
   */
  readonly noiseFloorTv: number;
}

/** Scores `synth` against every measurement over its own (not recoded) columns. */
export function fidelityToMeasurements(synth: CodeTable, measured: readonly MeasuredMarginal[]): MeasurementFidelity[] {
  return measured.map((m) => fidelityOfCounts(m, marginalCounts(synth, m.attrs.map((a) => synth.columns.indexOf(a))), synth.rows));
}

/** Scores one measurement against the synthetic data's counts of its marginal (`rows` rows in all). */
export function fidelityOfCounts(m: MeasuredMarginal, counts: Float64Array, rows: number): MeasurementFidelity {
  const noisy = Array.from(m.values, (v) => Math.max(0, v));
  const total = noisy.reduce((a, b) => a + b, 0);
  return {
    attrs: [...m.attrs],
    cells: noisy.length,
    noiseStddev: m.stddev,
    tv: total > 0 && rows > 0 ? tvOfCounts(noisy, total, counts, rows) : 1,
    noiseFloorTv: Math.min(1, (noisy.length * m.stddev * Math.sqrt(2 / Math.PI)) / (2 * Math.max(total, 1))),
  };
}
