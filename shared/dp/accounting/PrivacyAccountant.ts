// PrivacyAccountant: the one privacy budget every release is charged against (mechanisms, oracles,
// the party's durable ledger). Losses compose as Renyi curves; a zCDP-only run stays exact in rho.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { checkDelta, checkPrivacyNumber } from './checkPrivacyNumber.js';
import { BudgetExceededError } from './BudgetExceededError.js';
import { epsilonFromRho } from './cdpConversion.js';
import { epsilonFromLoss } from './rdpConversion.js';
import { checkPrivacyLoss, composeLosses, type PrivacyLoss } from './PrivacyLoss.js';

/** One recorded charge: its label and its loss (a zCDP rho, possibly plus an RDP curve). */
export interface PrivacyCharge extends PrivacyLoss {
  readonly label: string;
}

export interface PrivacyAccountantOptions {
  /**
   * The delta at which the budget is read as (epsilon, delta) once an RDP charge is involved
   * (required before the first one): such a run is no longer rho-zCDP, so it is admitted when its
   * epsilon at `delta` does not exceed that of the rho budget, epsilonFromRho(total, delta).
   */
  readonly delta?: number;
  /** Loss already spent before this accountant was opened (e.g. read from a durable ledger). */
  readonly spent?: PrivacyLoss;
}

/**
 * Relative slack when comparing a float sum of charges with the total, so that exact splits (three
 * charges of total/3, a last charge of `remaining`) are accepted; at most 1e-12 of the budget.
 */
export const BUDGET_SLACK = 1e-12;

/**
 * Charges losses against a total zCDP budget rho. A charge that would overspend throws
 * BudgetExceededError and records nothing. Composition adds losses (PrivacyLoss.composeLosses):
 * while every charge is zCDP the run is sum(rho)-zCDP and is admitted when sum <= total (Bun &
 * Steinke 2016, Lemma 2.3); with RDP charges the composed curve is converted to (epsilon, delta)
 * (rdpConversion) and compared with the budget's epsilon at the same delta.
 */
export class PrivacyAccountant {
  readonly total: number;
  readonly delta?: number;
  private spentLoss: PrivacyLoss;
  private readonly log: PrivacyCharge[] = [];

  constructor(totalRho: number, options: PrivacyAccountantOptions = {}) {
    this.total = checkPrivacyNumber(totalRho, 'total rho');
    if (options.delta !== undefined) this.delta = checkDelta(options.delta);
    this.spentLoss = options.spent !== undefined ? checkPrivacyLoss(options.spent) : { rho: 0 };
  }

  /** Everything charged so far (with any loss the accountant was opened with). */
  get spent(): PrivacyLoss {
    return this.spentLoss;
  }

  /** The largest further zCDP rho that can still be charged. */
  get remaining(): number {
    if (this.spentLoss.rdp === undefined) return Math.max(0, this.total - this.spentLoss.rho);
    let lo = 0;
    let hi = this.total;
    if (!this.fits({ rho: 0 })) return 0;
    for (let i = 0; i < 100 && hi - lo > 1e-15 * this.total; i++) {
      const mid = (lo + hi) / 2;
      if (this.fits({ rho: mid })) lo = mid;
      else hi = mid;
    }
    return lo;
  }

  get charges(): readonly PrivacyCharge[] {
    return this.log;
  }

  /** The epsilon of what was spent, at `delta` (default: the accountant's delta). */
  epsilon(delta: number | undefined = this.delta): number {
    return epsilonFromLoss(this.spentLoss, checkDelta(delta));
  }

  /** True when `loss` (a bare number is a zCDP rho) can still be charged. */
  canCharge(loss: number | PrivacyLoss): boolean {
    return this.fits(checkPrivacyLoss(loss));
  }

  /** Records a charge of `loss` (a bare number is a zCDP rho) under `label`, or throws BudgetExceededError. */
  charge(label: string, loss: number | PrivacyLoss): PrivacyCharge {
    const l = checkPrivacyLoss(loss);
    if (!this.fits(l)) throw new BudgetExceededError(l.rho, this.remaining, l.rdp === undefined ? { label } : { label, rdp: true });
    const c: PrivacyCharge = l.rdp === undefined ? { label, rho: l.rho } : { label, rho: l.rho, rdp: l.rdp };
    this.spentLoss = composeLosses(this.spentLoss, l);
    this.log.push(c);
    return c;
  }

  private fits(loss: PrivacyLoss): boolean {
    const after = composeLosses(this.spentLoss, loss);
    if (after.rdp === undefined) return after.rho <= this.total * (1 + BUDGET_SLACK);
    const delta = this.delta;
    if (delta === undefined) {
      throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, 'an RDP charge needs the accountant\'s delta (PrivacyAccountantOptions.delta)', { parameter: 'delta' });
    }
    return epsilonFromLoss(after, delta) <= epsilonFromRho(this.total, delta) * (1 + BUDGET_SLACK);
  }
}

/** zCDP composition: the rho of running all the given measurements (each rho checked). */
export function composeRho(rhos: readonly number[]): number {
  let s = 0;
  for (const r of rhos) s += checkPrivacyNumber(r, 'rho');
  return s;
}
