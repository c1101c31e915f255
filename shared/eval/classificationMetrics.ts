// classificationMetrics: confusion matrices (additive across parties), accuracy, macro-F1 and ROC AUC
// (the Mann-Whitney statistic with ties counted 1/2; Hanley & McNeil 1982), also from histograms.

/** K x K counts, row = true class, column = predicted class, row-major. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, k: number): Float64Array {
  const out = new Float64Array(k * k);
  for (let i = 0; i < truth.length; i++) out[truth[i] * k + predicted[i]] += 1;
  return out;
}

/** Share of the diagonal; NaN on an empty matrix. */
export function accuracyOf(confusion: ArrayLike<number>, k: number): number {
  let diag = 0;
  let all = 0;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      all += confusion[i * k + j];
      if (i === j) diag += confusion[i * k + j];
    }
  }
  return all > 0 ? diag / all : NaN;
}

/** Unweighted mean over classes present in truth or prediction of F1 = 2TP / (2TP + FP + FN). */
export function macroF1Of(confusion: ArrayLike<number>, k: number): number {
  let sum = 0;
  let classes = 0;
  for (let c = 0; c < k; c++) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let o = 0; o < k; o++) {
      if (o === c) tp = confusion[c * k + c];
      else {
        fp += confusion[o * k + c];
        fn += confusion[c * k + o];
      }
    }
    if (tp + fp + fn === 0) continue;
    sum += (2 * tp) / (2 * tp + fp + fn);
    classes++;
  }
  return classes === 0 ? NaN : sum / classes;
}

/** AUC = P(score of a positive > score of a negative) + 1/2 P(tie). NaN if a class is empty. */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean | number>): number {
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  // Sum of mid-ranks of the positives (Mann-Whitney U).
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const midRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (positive[idx[t]]) rankSum += midRank;
    i = j + 1;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * AUC from two histograms over the same ordered score bins (bin b < bin b+1): the exact AUC of the
 * binned scores, ties within a bin counted 1/2. Histograms are additive, so this pools parties.
 */
export function aucFromHistograms(positive: ArrayLike<number>, negative: ArrayLike<number>): number {
  let nPos = 0;
  let nNeg = 0;
  for (let b = 0; b < positive.length; b++) {
    nPos += Math.max(0, positive[b]);
    nNeg += Math.max(0, negative[b]);
  }
  if (nPos <= 0 || nNeg <= 0) return NaN;
  let below = 0;
  let wins = 0;
  for (let b = 0; b < positive.length; b++) {
    const p = Math.max(0, positive[b]);
    const q = Math.max(0, negative[b]);
    wins += p * (below + q / 2);
    below += q;
  }
  return wins / (nPos * nNeg);
}
