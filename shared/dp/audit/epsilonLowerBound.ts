// epsilonLowerBound: the epsilon a membership test's measured error rates imply (Jagielski, Ullman, Oprea
// 2020, "Auditing Differentially Private Machine Learning", NeurIPS; Nasr et al. 2021, IEEE S&P), Clopper-Pearson.
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { clopperPearsonUpper } from './clopperPearson.js';

/** At one threshold of the test "canary present iff score >= threshold": counts of both kinds of error. */
export interface ThresholdCounts {
  readonly threshold: number;
  /** Trials without the canary that the test called "present". */
  readonly falsePositives: number;
  /** Trials with the canary that the test called "absent". */
  readonly falseNegatives: number;
}

export interface EpsilonLowerBound {
  /** The largest epsilon the counts prove at `confidence` (0 when they prove nothing). */
  readonly epsilon: number;
  readonly confidence: number;
  /** The threshold that gave it, its measured rates and their one-sided upper bounds. */
  readonly threshold: number;
  readonly fpr: number;
  readonly fnr: number;
  readonly fprUpper: number;
  readonly fnrUpper: number;
}

/**
 * An (epsilon, delta)-DP mechanism forces every test between neighbours D (without) and D' (with)
 * to satisfy FPR + e^eps FNR >= 1 - delta and FNR + e^eps FPR >= 1 - delta (Kairouz, Oh, Viswanath
 * 2015, Thm 2.1), so eps >= max(log((1 - delta - FPR) / FNR), log((1 - delta - FNR) / FPR)). The
 * true rates are replaced by Clopper-Pearson upper bounds, each at alpha / (2 m) for m thresholds
 * (union bound over the whole grid: thresholds must be fixed before the trials, never chosen on
 * them), so the returned epsilon is below the mechanism's true epsilon with probability >= confidence.
 */
export function epsilonLowerBound(
  grid: readonly ThresholdCounts[],
  trialsWithout: number,
  trialsWith: number,
  delta: number,
  confidence: number,
): EpsilonLowerBound {
  if (grid.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'epsilonLowerBound: no thresholds');
  if (!(confidence > 0 && confidence < 1)) throw new FedsynthError(ErrorCode.InvalidArgument, `confidence must be in (0, 1), got ${confidence}`);
  if (!(delta >= 0 && delta < 1)) throw new FedsynthError(ErrorCode.InvalidArgument, `delta must be in [0, 1), got ${delta}`);
  const alphaEach = (1 - confidence) / (2 * grid.length);
  let best: EpsilonLowerBound | undefined;
  for (const g of grid) {
    const fprUpper = clopperPearsonUpper(g.falsePositives, trialsWithout, alphaEach);
    const fnrUpper = clopperPearsonUpper(g.falseNegatives, trialsWith, alphaEach);
    const eps = Math.max(0, Math.log(Math.max(0, 1 - delta - fprUpper) / fnrUpper), Math.log(Math.max(0, 1 - delta - fnrUpper) / fprUpper));
    if (best === undefined || eps > best.epsilon) {
      best = { epsilon: eps, confidence, threshold: g.threshold, fpr: g.falsePositives / trialsWithout, fnr: g.falseNegatives / trialsWith, fprUpper, fnrUpper };
    }
  }
  return best as EpsilonLowerBound;
}
