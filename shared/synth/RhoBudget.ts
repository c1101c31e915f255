// RhoBudget: the coordinator-side ledger of one mechanism run's zCDP budget (rho).
// Every release is charged here before it is requested; overspending throws BudgetExceeded.
import { FedsynthError, ErrorCode } from '../errors/FedsynthError.js';

/** Relative slack for floating-point sums of charges (1e-9 of the total). */
const SLACK = 1e-9;

/** zCDP composes additively (Bun & Steinke 2016, Lemma 2.3): the run is rho-zCDP if sum <= rho. */
export class RhoBudget {
  private used = 0;
  readonly charges: { label: string; rho: number }[] = [];

  constructor(readonly total: number) {
    if (!(total > 0) || !Number.isFinite(total)) {
      throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `rho must be finite and > 0, got ${total}`);
    }
  }

  get spent(): number {
    return this.used;
  }

  get remaining(): number {
    return Math.max(0, this.total - this.used);
  }

  /** Records a release of `rho`; throws (and records nothing) if the total would be exceeded. */
  spend(rho: number, label: string): number {
    if (!(rho > 0) || !Number.isFinite(rho)) {
      throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `${label}: rho must be finite and > 0, got ${rho}`);
    }
    if (this.used + rho > this.total * (1 + SLACK)) {
      throw new FedsynthError(ErrorCode.BudgetExceeded, `${label}: rho ${rho} exceeds the remaining ${this.remaining}`, {
        requested: rho,
        remaining: this.remaining,
      });
    }
    this.used += rho;
    this.charges.push({ label, rho });
    return rho;
  }
}
