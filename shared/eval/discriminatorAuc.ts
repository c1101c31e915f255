// discriminatorAuc: how well a classifier tells real rows from synthetic ones — a k-fold
// cross-validated logistic regression on one-hot + hashed pairwise features; AUC 0.5 is ideal.
import { seededRandomSource } from '../dp/random/RandomSource.js';
import type { CodeTable } from './CodeTable.js';
import { rocAuc } from './classificationMetrics.js';
import { uniformInt } from '../dp/random/uniform.js';
import { predictProba, trainLogistic } from './logisticRegression.js';
import { oneHotDesign, selectDesignRows, type SparseDesign } from './SparseDesign.js';
import { sampleRows } from './sampleRows.js';
import { selectRows } from './CodeTable.js';
import { SCORE_BINS } from './utilityTstr.js';

/** Out-of-fold AUC plus additive histograms of out-of-fold P(real) by true origin. */
export interface DiscriminatorResult {
  readonly auc: number;
  readonly folds: number;
  readonly rowsPerSide: number;
  readonly realHistogram: number[];
  readonly synthHistogram: number[];
}

function concatDesigns(a: SparseDesign, b: SparseDesign): SparseDesign {
  const index = new Int32Array(a.index.length + b.index.length);
  index.set(a.index, 0);
  index.set(b.index, a.index.length);
  return { rows: a.rows + b.rows, width: a.width, nFeatures: a.nFeatures, index };
}

/** Equal-size samples (at most `maxRows` each) of `real` and `synth`; `folds`-fold CV. */
export function discriminatorAuc(real: CodeTable, synth: CodeTable, seed: string, maxRows = 3000, folds = 5): DiscriminatorResult {
  const n = Math.min(maxRows, real.rows, synth.rows);
  const cols = real.columns.map((_, i) => i);
  const opts = { columns: cols, pairHashBits: 14 };
  const r = oneHotDesign(selectRows(real, sampleRows(real.rows, n, seed, 'eval/disc/real')), opts);
  const s = oneHotDesign(selectRows(synth, sampleRows(synth.rows, n, seed, 'eval/disc/synth')), opts);
  const all = concatDesigns(r, s);
  const labels = new Int32Array(2 * n);
  labels.fill(1, 0, n); // 1 = real
  // Fold of row i: a seeded permutation dealt round-robin, so folds are balanced.
  const rng = seededRandomSource(seed, 'eval/disc/folds');
  const order = Int32Array.from({ length: 2 * n }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  const fold = new Int32Array(2 * n);
  order.forEach((row, i) => (fold[row] = i % folds));
  const score = new Float64Array(2 * n);
  for (let f = 0; f < folds; f++) {
    const trainIdx: number[] = [];
    const testIdx: number[] = [];
    for (let i = 0; i < 2 * n; i++) (fold[i] === f ? testIdx : trainIdx).push(i);
    const model = trainLogistic(
      selectDesignRows(all, trainIdx),
      trainIdx.map((i) => labels[i]),
      { classes: 2, epochs: 3 },
      seededRandomSource(seed, `eval/disc/fold/${f}`),
    );
    const p = predictProba(model, selectDesignRows(all, testIdx));
    testIdx.forEach((row, t) => (score[row] = p[t * 2 + 1]));
  }
  const realHistogram = new Array<number>(SCORE_BINS).fill(0);
  const synthHistogram = new Array<number>(SCORE_BINS).fill(0);
  for (let i = 0; i < 2 * n; i++) {
    const bin = Math.min(SCORE_BINS - 1, Math.floor(score[i] * SCORE_BINS));
    (labels[i] === 1 ? realHistogram : synthHistogram)[bin]++;
  }
  return { auc: rocAuc(score, labels), folds, rowsPerSide: n, realHistogram, synthHistogram };
}
