// plainReleaseBound: what a study costs a party in plain mode, where the coordinator sees that party's
// own noisy vector: each release carries one noise share planned for n - f - d, so up to (n - f - d) rho.
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';

export interface PlainReleaseRequest {
  /** The study's (or round's) rho: the cost of the noisy SUM. */
  readonly rho: number;
  readonly parties: number;
  readonly colluders: number;
  readonly dropouts: number;
}

/**
 * Upper bound on the rho one party's plain-mode releases cost it: (n - f - d) rho. Each round's
 * share sigma_p^2 satisfies rhoOfDistributedGaussian(sigma_p^2, n - f - d) <= rho_round, and that
 * bound is at least Delta^2 / (2 (n - f - d) sigma_p^2) (its first term, tau >= 0), so one party's
 * vector alone, Delta^2 / (2 sigma_p^2) (Canonne, Kamath, Steinke 2020, Thm 4), costs at most
 * (n - f - d) rho_round; rounds with fewer participants cost less. Summed over the study's rounds
 * (rho_round adds up to rho): (n - f - d) rho.
 */
export function plainReleaseRhoBound(req: PlainReleaseRequest): number {
  const rho = checkPrivacyNumber(req.rho, 'rho');
  const honest = req.parties - req.colluders - req.dropouts;
  if (![req.parties, req.colluders, req.dropouts].every((v) => Number.isInteger(v) && v >= 0) || honest < 1) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `no honest surviving party: parties=${req.parties}, colluders=${req.colluders}, dropouts=${req.dropouts}`);
  }
  return honest * rho;
}
