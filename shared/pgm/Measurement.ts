// Measurement: the only bridge from differential privacy to the graphical model.
// An attribute set, its noisy counts in the model's cell order, and the noise standard deviation.
import type { Domain } from './Domain.js';
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

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

/** Throws InvalidArgument unless every measurement fits `domain` (canonical attrs, cell count, finite values, stddev > 0). */
export function validateMeasurements(domain: Domain, measurements: readonly Measurement[]): void {
  for (const m of measurements) {
    if (!domain.isCanonical(m.attrs)) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'measurement attrs must be domain columns in domain order', { attrs: [...m.attrs] });
    }
    if (m.values.length !== domain.size(m.attrs)) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'measurement has the wrong number of cells', {
        attrs: [...m.attrs],
        expected: domain.size(m.attrs),
        got: m.values.length,
      });
    }
    if (!m.values.every((v) => Number.isFinite(v))) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'measurement values must be finite', { attrs: [...m.attrs] });
    }
    if (!(m.stddev > 0) || !Number.isFinite(m.stddev)) {
      throw new FedsynthError(ErrorCode.InvalidArgument, 'measurement stddev must be positive and finite', { attrs: [...m.attrs], stddev: m.stddev });
    }
  }
}
