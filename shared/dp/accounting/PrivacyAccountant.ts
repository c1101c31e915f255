// PrivacyAccountant: the single zCDP budget that every release of a run is charged against.
// Composition in zCDP is additive (Bun & Steinke 2016, Lemma 2.3): total rho = sum of charges.
import { checkPrivacyNumber } from './checkPrivacyNumber.js';
import { BudgetExceededError } from './BudgetExceededError.js';

/** One recorded charge. */
export interface PrivacyCharge {
  readonly label: string;
  readonly rho: number;
}

/**
 * Charges rho values against a total. A charge that would overspend throws BudgetExceededError and
 * records nothing. Floating-point sums are compared with a 1e-12 relative slack so that exact splits
 * (e.g. three charges of total/3) are accepted; the slack is at most 1e-12 * total.
 */
export class PrivacyAccountant {
  readonly total: number;
  private spentRho = 0;
  private readonly log: PrivacyCharge[] = [];

  constructor(totalRho: number) {
    this.total = checkPrivacyNumber(totalRho, 'total rho');
  }

  get spent(): number {
    return this.spentRho;
  }

  get remaining(): number {
    return Math.max(0, this.total - this.spentRho);
  }

  get charges(): readonly PrivacyCharge[] {
    return this.log;
  }

  /** True when `rho` can still be charged. */
  canCharge(rho: number): boolean {
    checkPrivacyNumber(rho, 'rho');
    return this.spentRho + rho <= this.total * (1 + 1e-12);
  }

  /** Records a charge of `rho` under `label`, or throws BudgetExceededError. */
  charge(label: string, rho: number): PrivacyCharge {
    if (!this.canCharge(rho)) throw new BudgetExceededError(rho, this.remaining, { label });
    const c: PrivacyCharge = { label, rho };
    this.spentRho += rho;
    this.log.push(c);
    return c;
  }
}

/** zCDP composition: the rho of running all the given measurements (each rho checked). */
export function composeRho(rhos: readonly number[]): number {
  let s = 0;
  for (const r of rhos) s += checkPrivacyNumber(r, 'rho');
  return s;
}
