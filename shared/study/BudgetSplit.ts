// BudgetSplit: how one total (epsilon, delta) is shared among the mechanisms of a model comparison
// (`simulate --mechanism aim,dpsgd`), stated up front, with what the combined release costs.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { MechanismName } from './StudySpec.js';

/**
 * `equal`: each of the k mechanisms gets (epsilon / k, delta / k); `each`: each gets the full
 * (epsilon, delta), so the combined release costs k times that.
 */
export type BudgetSplit = 'equal' | 'each';

/** One mechanism's share of the comparison's budget: its study runs under exactly this (epsilon, delta). */
export interface MechanismBudget {
  readonly mechanism: MechanismName;
  readonly epsilon: number;
  readonly delta: number;
}

/** The budget of a comparison, as stated before anything is spent. */
export interface ComparisonBudget {
  readonly split: BudgetSplit;
  /** What the operator gave (--epsilon, --delta). */
  readonly requested: { readonly epsilon: number; readonly delta: number };
  readonly perMechanism: readonly MechanismBudget[];
  /**
   * What releasing every mechanism's outputs together costs, by basic composition of (epsilon,
   * delta)-DP (Dwork, Roth 2014, Thm 3.16: the epsilons add and the deltas add).
   */
  readonly combined: { readonly epsilon: number; readonly delta: number; readonly composition: 'basic' };
  /** One sentence saying all of the above. */
  readonly statement: string;
}

/** The value of --budget-split, or INVALID_ARGUMENT naming the option. */
export function parseBudgetSplit(value: string): BudgetSplit {
  if (value === 'equal' || value === 'each') return value;
  throw new FedsynthError(
    ErrorCode.InvalidArgument,
    `--budget-split must be equal (each mechanism gets epsilon/k, delta/k of one total budget) or each (every mechanism its own full budget), got '${value}'`,
    { field: '--budget-split' },
  );
}

/**
 * Splits (epsilon, delta) among `mechanisms` (two or more, no repeats; otherwise INVALID_ARGUMENT
 * naming --mechanism). Under `equal` the combined release costs exactly the requested budget; under
 * `each` it costs k times the requested budget, and the statement says so.
 */
export function splitBudget(epsilon: number, delta: number, mechanisms: readonly MechanismName[], split: BudgetSplit): ComparisonBudget {
  const k = mechanisms.length;
  if (k < 2 || new Set(mechanisms).size !== k) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `a comparison needs two or more different mechanisms, got '${mechanisms.join(',')}'`, { field: '--mechanism' });
  }
  if (!(epsilon > 0) || !Number.isFinite(epsilon) || !(delta > 0 && delta < 1)) {
    throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `the comparison's budget must have epsilon > 0 and 0 < delta < 1, got (${epsilon}, ${delta})`, { field: '--epsilon' });
  }
  const share = split === 'equal' ? 1 / k : 1;
  const perMechanism = mechanisms.map((mechanism) => ({ mechanism, epsilon: epsilon * share, delta: delta * share }));
  const combined = { epsilon: perMechanism.reduce((s, m) => s + m.epsilon, 0), delta: perMechanism.reduce((s, m) => s + m.delta, 0), composition: 'basic' as const };
  const each = perMechanism.map((m) => `${m.mechanism} (epsilon ${fmt(m.epsilon)}, delta ${m.delta.toExponential(2)})`).join(', ');
  const statement =
    split === 'equal'
      ? `one total budget (epsilon ${fmt(epsilon)}, delta ${delta.toExponential(2)}) split equally among ${k} mechanisms: ${each}; ` +
        `releasing all ${k} models together costs at most the total, by basic composition`
      : `each of ${k} mechanisms spends its own full budget: ${each}; releasing all ${k} models together costs ` +
        `epsilon ${fmt(combined.epsilon)}, delta ${combined.delta.toExponential(2)} (basic composition: ${k} times the requested budget), charged to the same party ledgers`;
  return { split, requested: { epsilon, delta }, perMechanism, combined, statement };
}

function fmt(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
