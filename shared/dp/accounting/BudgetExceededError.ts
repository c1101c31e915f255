// BudgetExceededError: the typed refusal raised instead of spending more privacy budget than allowed.
// Code ErrorCode.BudgetExceeded; details carry the requested and remaining rho (and optional scope).
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';

/** Refusal to charge `requested` rho when only `remaining` is left. */
export class BudgetExceededError extends FedsynthError {
  readonly requested: number;
  readonly remaining: number;

  constructor(requested: number, remaining: number, extra: Record<string, unknown> = {}) {
    super(
      ErrorCode.BudgetExceeded,
      `privacy budget exceeded: requested rho=${requested}, remaining rho=${remaining}`,
      { requested, remaining, ...extra },
    );
    this.name = 'FedsynthError';
    this.requested = requested;
    this.remaining = remaining;
  }
}
