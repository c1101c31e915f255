// exponentialMechanismRho: zCDP cost of one exponential-mechanism / report-noisy-max selection.
// Cesar & Rogers 2021 ("Bounding, Concentrating, and Truncating ..."): epsilon-bounded-range => epsilon^2/8-zCDP.
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';

/**
 * rho = epsilon^2 / 8 for the exponential mechanism that picks r with probability proportional to
 * exp(epsilon * score(r) / (2 Delta)), Delta the score sensitivity (it is epsilon-bounded-range;
 * Cesar & Rogers 2021, Lemma 3.2 / Theorem 3, also report-noisy-max with Gumbel noise).
 */
export function exponentialMechanismRho(epsilon: number): number {
  const e = checkPrivacyNumber(epsilon, 'epsilon');
  return (e * e) / 8;
}

/** The epsilon whose exponential mechanism costs exactly `rho`: sqrt(8 rho). */
export function exponentialMechanismEpsilon(rho: number): number {
  return Math.sqrt(8 * checkPrivacyNumber(rho, 'rho'));
}
