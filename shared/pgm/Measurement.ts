// Measurement: the only bridge from differential privacy to the graphical model.
// An attribute set, its noisy counts in the model's cell order, and the noise standard deviation.

/**
 * A noisy marginal. `values` holds the noisy count of every cell of the marginal over `attrs`,
 * in row-major order with the FIRST attribute of `attrs` varying slowest; `attrs` is always in
 * the order of the domain's columns. `stddev` is the standard deviation of the noise in each
 * cell of `values` (the model weights measurements by 1/stddev). The model never sees rows or
 * epsilon.
 */
export interface Measurement {
  readonly attrs: readonly string[];
  readonly values: Float64Array;
  readonly stddev: number;
}
