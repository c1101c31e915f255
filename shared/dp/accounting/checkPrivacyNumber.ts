// checkPrivacyNumber: the one gate every privacy quantity passes (rho, epsilon, delta, sensitivity).
// Rejects NaN, infinities and out-of-range values with InvalidPrivacyParameter instead of computing.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';

/** Returns x if it is a finite number >= 0 (or > 0 when `positive`), else throws. */
export function checkPrivacyNumber(x: unknown, what: string, positive = false): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || (positive && x === 0)) {
    throw new FedsynthError(
      ErrorCode.InvalidPrivacyParameter,
      `${what} must be a finite number ${positive ? '> 0' : '>= 0'}, got ${String(x)}`,
      { parameter: what, value: String(x) },
    );
  }
  return x;
}

/** Returns delta if 0 < delta < 1, else throws. */
export function checkDelta(delta: unknown): number {
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `delta must be in (0, 1), got ${String(delta)}`, {
      parameter: 'delta',
      value: String(delta),
    });
  }
  return delta;
}
