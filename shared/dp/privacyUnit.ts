// privacyUnit: what one "neighbouring dataset" means in fedsynth, and the sensitivities it implies.
// Unit = one record of one silo (add/remove); one person may appear in up to maxSilosPerIndividual silos.
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** L1 and L2 sensitivity of one release. */
export interface Sensitivity {
  readonly l1: number;
  readonly l2: number;
}

/**
 * Sensitivity of releasing `marginals` marginal count vectors at once. Adding or removing one record
 * changes exactly one cell of each marginal by 1. One individual may contribute one record to each
 * of up to `maxSilosPerIndividual` = k silos (default 1): each marginal then changes by at most k in
 * L1 and in L2 (worst case: all k records fall in the same cell), so for m marginals
 *   L1 = k m,   L2 = k sqrt(m).
 */
export function marginalSensitivity(marginals: number, maxSilosPerIndividual = 1): Sensitivity {
  if (!Number.isInteger(marginals) || marginals < 1) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `marginals must be an integer >= 1, got ${marginals}`);
  }
  if (!Number.isInteger(maxSilosPerIndividual) || maxSilosPerIndividual < 1) {
    throw new FedsynthError(
      ErrorCode.InvalidPrivacyParameter,
      `maxSilosPerIndividual must be an integer >= 1, got ${maxSilosPerIndividual}`,
    );
  }
  return { l1: maxSilosPerIndividual * marginals, l2: maxSilosPerIndividual * Math.sqrt(marginals) };
}
