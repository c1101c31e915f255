// attackRisk: the privacy risk of one attack from its success on training rows (main), on control
// rows the generator never saw (control) and by random guessing (baseline), as in Anonymeter.
//
// risk = (main − control) / (1 − control): the share of what the attacker could not already guess
// from the population (control) that the synthetic data lets it get right about training rows
// (Giomi et al., "A Unified Framework for Quantifying Privacy Risk in Synthetic Data", PETS 2023,
// eq. 1). Its error is the Wilson errors of both rates propagated to first order; value and interval
// are clamped to [0, 1].
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import { clamp01, wilsonScore, type SuccessRate } from './wilsonScore.js';

/** Raw counts of one attack (control successes may be fractional after a size correction). */
export interface AttackCounts {
  readonly attacks: number;
  readonly successes: number;
  readonly controlAttacks: number;
  readonly controlSuccesses: number;
  /** Baseline (random guessing) attacks on the training rows and their successes. */
  readonly baselineAttacks: number;
  readonly baselineSuccesses: number;
}

const COUNT_KEYS = ['attacks', 'successes', 'controlAttacks', 'controlSuccesses', 'baselineAttacks', 'baselineSuccesses'] as const;

/** The six counts of `c` alone (drops any extra fields). */
export function attackCounts(c: AttackCounts): AttackCounts {
  const [attacks, successes, controlAttacks, controlSuccesses, baselineAttacks, baselineSuccesses] = COUNT_KEYS.map((k) => c[k]);
  return { attacks, successes, controlAttacks, controlSuccesses, baselineAttacks, baselineSuccesses };
}

/** The risk of one attack with everything needed to judge it. */
export interface AttackRisk {
  /** Residual risk, clamped to [0, 1]; null when the control attack always succeeds. */
  readonly risk: number | null;
  readonly ci: readonly [number, number] | null;
  /** Unclamped (main − control)/(1 − control) and its propagated error. */
  readonly residual: { readonly value: number; readonly error: number } | null;
  readonly main: SuccessRate;
  readonly control: SuccessRate;
  readonly baseline: SuccessRate;
  /** Human-readable caveats (attack no better than random guessing, control at 100%). */
  readonly warnings: readonly string[];
}

/** Risk, interval and sanity checks from attack counts at `confidence` (default 0.95). */
export function attackRisk(c: AttackCounts, confidence = 0.95): AttackRisk {
  for (const k of COUNT_KEYS) {
    const v = c[k];
    if (!Number.isFinite(v) || v < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `attackRisk: ${k} must be a finite non-negative number, got ${v}`);
  }
  const main = wilsonScore(c.attacks, c.successes, confidence);
  const control = wilsonScore(c.controlAttacks, c.controlSuccesses, confidence);
  const baseline = wilsonScore(c.baselineAttacks, c.baselineSuccesses, confidence);
  const warnings: string[] = [];
  if (baseline.rate >= main.rate) {
    warnings.push(`the attack is no better than random guessing (main ${main.rate.toFixed(4)} <= baseline ${baseline.rate.toFixed(4)}): its risk estimate cannot be trusted`);
  }
  const r = residualRisk(main, control);
  if (r === null) {
    warnings.push('the control attack always succeeds: the residual risk is undefined');
    return { risk: null, ci: null, residual: null, main, control, baseline, warnings };
  }
  return { ...r, main, control, baseline, warnings };
}

/** A rate with a symmetric error bound at the chosen confidence (Wilson, or widened for noise). */
export interface RateWithError {
  readonly rate: number;
  readonly error: number;
}

/**
 * (main − control)/(1 − control) with both rates' errors propagated to first order, value and
 * interval clamped to [0, 1]; null when the control rate is 1 (undefined).
 */
export function residualRisk(main: RateWithError, control: RateWithError): Pick<AttackRisk, 'risk' | 'ci' | 'residual'> | null {
  if (control.rate >= 1) return null;
  const value = (main.rate - control.rate) / (1 - control.rate);
  const dMain = 1 / (1 - control.rate);
  const dControl = (main.rate - 1) / (1 - control.rate) ** 2;
  const error = Math.hypot(main.error * dMain, control.error * dControl);
  return { risk: clamp01(value), ci: [clamp01(value - error), clamp01(value + error)], residual: { value, error } };
}
