// planDistributedGaussian: per-party discrete Gaussian variance so the aggregate sum meets rho-zCDP.
// Worst case: f colluding parties know their own noise and d parties drop out, leaving n-f-d shares.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';
import { rhoOfDistributedGaussian } from './rhoOfDistributedGaussian.js';

export { rhoOfDistributedGaussian } from './rhoOfDistributedGaussian.js';

export interface DistributedGaussianRequest {
  /** Target zCDP cost of this one release. */
  readonly rho: number;
  readonly l2Sensitivity: number;
  readonly l1Sensitivity?: number;
  /** Parties that each add a noise share. */
  readonly parties: number;
  /** Parties that may collude with the coordinator (their noise is known to the adversary). */
  readonly colluders: number;
  /** Parties that may drop out after masking (their noise is missing from the sum). */
  readonly dropouts: number;
}

export interface DistributedGaussianPlan {
  /** Variance parameter sigma^2 of each party's N_Z(0, sigma^2) share. */
  readonly perPartySigma2: number;
  /** parties - colluders - dropouts: honest shares guaranteed to be in the sum. */
  readonly honestMinParties: number;
  /** The guaranteed rho, verified by rhoOfDistributedGaussian (<= the requested rho). */
  readonly rho: number;
  /** Variance parameter of the total noise when `survivors` parties' shares are summed. */
  sumSigma2(survivors: number): number;
}

/**
 * Smallest per-party sigma^2 (up to 1e-9 relative, rounded up) such that the sum of the noise of
 * the worst-case n - f - d honest surviving parties satisfies rho-zCDP by the KLS 2021 bound
 * (rhoOfDistributedGaussian). Solved by bisection on the monotone map sigma^2 -> rho; the returned
 * plan is re-checked and never exceeds the requested rho. sigma^2 is at least 1/4 (KLS's sigma >= 1/2).
 */
export function planDistributedGaussian(req: DistributedGaussianRequest): DistributedGaussianPlan {
  const rho = checkPrivacyNumber(req.rho, 'rho', true);
  const l2 = checkPrivacyNumber(req.l2Sensitivity, 'l2Sensitivity', true);
  for (const [k, v] of [['parties', req.parties], ['colluders', req.colluders], ['dropouts', req.dropouts]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `${k} must be an integer >= 0, got ${v}`);
  }
  const honest = req.parties - req.colluders - req.dropouts;
  if (honest < 1) {
    throw new FedsynthError(
      ErrorCode.InvalidPrivacyParameter,
      `no honest surviving party: parties=${req.parties}, colluders=${req.colluders}, dropouts=${req.dropouts}`,
    );
  }
  const cost = (sigma2: number): number =>
    rhoOfDistributedGaussian({ sigma2, summands: honest, l2Sensitivity: l2, l1Sensitivity: req.l1Sensitivity });
  let lo = 0.25;
  let hi = Math.max(0.25, (l2 * l2) / (2 * honest * rho));
  if (cost(lo) <= rho) hi = lo;
  while (cost(hi) > rho) {
    lo = hi;
    hi *= 2;
    if (!Number.isFinite(hi)) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'rho too small to plan');
  }
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (cost(mid) <= rho) hi = mid;
    else lo = mid;
  }
  const perPartySigma2 = hi;
  const achieved = cost(perPartySigma2);
  if (!(achieved <= rho)) throw new FedsynthError(ErrorCode.Internal, 'planDistributedGaussian: verification failed');
  return {
    perPartySigma2,
    honestMinParties: honest,
    rho: achieved,
    sumSigma2: (survivors: number) => summedShareSigma2(survivors, perPartySigma2),
  };
}

/** Variance parameter of the sum of `survivors` independent N_Z(0, perPartySigma2) shares (variances add). */
export function summedShareSigma2(survivors: number, perPartySigma2: number): number {
  if (!Number.isInteger(survivors) || survivors < 0) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `survivors must be an integer >= 0, got ${survivors}`);
  }
  return survivors * perPartySigma2;
}
