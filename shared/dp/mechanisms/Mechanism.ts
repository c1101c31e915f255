// Mechanism: a randomized function together with its privacy map (OpenDP's Measurement, simplified).
// The map takes the input distance (sensitivity) and returns the zCDP rho it costs, or throws.
import type { RandomSource } from '../random/RandomSource.js';
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';

/** A mechanism value: `invoke` runs it, `privacyMap(dIn)` is its rho for inputs at distance dIn. */
export interface Mechanism<I, O> {
  readonly name: string;
  /** Paper and result establishing the privacy map. */
  readonly citation: string;
  privacyMap(dIn: number): number;
  invoke(input: I, rng: RandomSource): O;
}

/** Builds a mechanism whose map rejects negative, NaN or infinite input and output. */
export function makeMechanism<I, O>(
  name: string,
  citation: string,
  map: (dIn: number) => number,
  invoke: (input: I, rng: RandomSource) => O,
): Mechanism<I, O> {
  return {
    name,
    citation,
    privacyMap: (dIn: number) => checkPrivacyNumber(map(checkPrivacyNumber(dIn, `${name}: input distance`)), `${name}: rho`),
    invoke,
  };
}
