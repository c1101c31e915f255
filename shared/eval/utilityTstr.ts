// utilityTstr: machine-learning utility — train on synthetic, test on real (TSTR) against train on
// real, test on real (TRTR), with a logistic regression on the one-hot of all other columns.
import { seededRandomSource } from '../dp/random/RandomSource.js';
import type { CodeTable } from './CodeTable.js';
import { accuracyOf, confusionMatrix, macroF1Of, rocAuc } from './classificationMetrics.js';
import { argmaxRows, predictProba, trainLogistic } from './logisticRegression.js';
import { oneHotDesign } from './SparseDesign.js';

/** Number of probability bins of the additive score histograms (binary targets). */
export const SCORE_BINS = 100;

/** Scores of one classifier on the real test rows; `auc` only for binary targets. */
export interface ClassifierScore {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly auc: number | null;
  /** Additive: K x K counts (true row, predicted column). */
  readonly confusion: number[];
  /** Additive, binary targets only: histograms of P(class 1) in SCORE_BINS bins, by true class. */
  readonly scoreHistogram: { readonly positive: number[]; readonly negative: number[] } | null;
}

/** TSTR and TRTR scores for one target column. */
export interface UtilityResult {
  readonly target: string;
  readonly classes: number;
  readonly testRows: number;
  readonly tstr: ClassifierScore;
  readonly trtr: ClassifierScore;
}

function score(proba: Float64Array, truth: ArrayLike<number>, k: number): ClassifierScore {
  const confusion = confusionMatrix(truth, argmaxRows(proba, k), k);
  let auc: number | null = null;
  let scoreHistogram: ClassifierScore['scoreHistogram'] = null;
  if (k === 2) {
    const p1 = new Float64Array(truth.length);
    const positive = new Array<number>(SCORE_BINS).fill(0);
    const negative = new Array<number>(SCORE_BINS).fill(0);
    for (let r = 0; r < truth.length; r++) {
      p1[r] = proba[r * 2 + 1];
      const bin = Math.min(SCORE_BINS - 1, Math.floor(p1[r] * SCORE_BINS));
      if (truth[r] === 1) positive[bin]++;
      else negative[bin]++;
    }
    auc = rocAuc(p1, truth);
    scoreHistogram = { positive, negative };
  }
  return { accuracy: accuracyOf(confusion, k), macroF1: macroF1Of(confusion, k), auc, confusion: [...confusion], scoreHistogram };
}

/**
 * Trains one model on `synth` and one on `trainReal` (same features, options and seed), scores
 * both on `testReal`. Deterministic for a given `seed`.
 */
export function utilityTstr(trainReal: CodeTable, testReal: CodeTable, synth: CodeTable, target: number, seed: string, epochs = 3): UtilityResult {
  const k = trainReal.sizes[target];
  const features = trainReal.columns.map((_, i) => i).filter((i) => i !== target);
  const test = oneHotDesign(testReal, { columns: features });
  const fit = (t: CodeTable, stream: string): Float64Array => {
    const model = trainLogistic(oneHotDesign(t, { columns: features }), t.data[target], { classes: k, epochs }, seededRandomSource(seed, stream));
    return predictProba(model, test);
  };
  const truth = testReal.data[target];
  return {
    target: trainReal.columns[target],
    classes: k,
    testRows: testReal.rows,
    tstr: score(fit(synth, 'eval/tstr'), truth, k),
    trtr: score(fit(trainReal, 'eval/trtr'), truth, k),
  };
}
