// privacyMetrics: distance-based disclosure checks of synthetic rows against a party's rows:
// exact copies, distance to closest record (DCR) vs a holdout, NNDR, and a distance-based MIA.
//
// DCR share (Platzer & Reutterer 2021, "Holdout-based fidelity and privacy assessment"): the share
// of synthetic rows closer to the training rows than to an equally large holdout (ties count 1/2);
// ~50% means synthetic rows are no closer to the data used than to fresh data from the population.
// MIA: score = -DCR(x, synthetic); AUC of members (training rows) against non-members (holdout).
import type { CodeTable } from './CodeTable.js';
import { selectRows } from './CodeTable.js';
import { aucFromHistograms } from './classificationMetrics.js';
import { buildHammingIndex, hammingNeighbours } from './hammingNeighbours.js';
import { exactMatchCounts } from './rowKeys.js';
import { sampleRows } from './sampleRows.js';

/** Options: cap on query rows per nearest-neighbour search (deterministic sample), and its seed. */
export interface PrivacyOptions {
  readonly maxQueries?: number;
  readonly seed: string;
}

/** Additive counts and histograms (index = Hamming distance 0..m) plus the derived rates. */
export interface PrivacyResult {
  readonly columns: number;
  readonly synthRows: number;
  readonly exactCopies: number;
  readonly exactMatchRate: number;
  readonly realReproduced: number;
  /** Histogram of DCR synthetic -> training rows over the sampled synthetic rows. */
  readonly dcrHistogram: number[];
  /** Histogram of NNDR = d1/d2 (synthetic -> training) in 10 bins of width 0.1 (last bin includes 1). */
  readonly nndrHistogram: number[];
  readonly nndrMean: number;
  /** With a holdout only: comparisons and the share closer to training (ties 1/2). */
  readonly dcr: { readonly closerToTrain: number; readonly ties: number; readonly compared: number; readonly share: number } | null;
  /** With a holdout only: DCR-to-synthetic histograms of members and non-members, and the AUC. */
  readonly mia: { readonly members: number[]; readonly nonMembers: number[]; readonly auc: number } | null;
  readonly unavailable: string[];
}

/** Computes every privacy metric available; `holdout` = rows withheld from synthesis, if any. */
export function privacyMetrics(train: CodeTable, holdout: CodeTable | null, synth: CodeTable, opts: PrivacyOptions): PrivacyResult {
  const m = train.columns.length;
  const cap = opts.maxQueries ?? 3000;
  const exact = exactMatchCounts(train, synth);
  const synthQ = selectRows(synth, sampleRows(synth.rows, cap, opts.seed, 'eval/privacy/synth'));
  const toTrain = hammingNeighbours(buildHammingIndex(train), synthQ, train.rows >= 2);
  const dcrHistogram = new Array<number>(m + 1).fill(0);
  const nndrHistogram = new Array<number>(10).fill(0);
  let nndrSum = 0;
  for (let i = 0; i < synthQ.rows; i++) {
    const d1 = toTrain.d1[i];
    dcrHistogram[d1]++;
    const d2 = toTrain.d2 ? toTrain.d2[i] : d1;
    const ratio = d2 === 0 || d2 > m ? 1 : d1 / d2;
    nndrSum += ratio;
    nndrHistogram[Math.min(9, Math.floor(ratio * 10))]++;
  }
  const unavailable: string[] = [];
  let dcr: PrivacyResult['dcr'] = null;
  let mia: PrivacyResult['mia'] = null;
  if (holdout === null || holdout.rows === 0) {
    unavailable.push('DCR share and membership inference need a holdout (rows withheld from synthesis); none was given.');
  } else {
    const toHold = hammingNeighbours(buildHammingIndex(holdout), synthQ, false);
    let closer = 0;
    let ties = 0;
    for (let i = 0; i < synthQ.rows; i++) {
      if (toTrain.d1[i] < toHold.d1[i]) closer++;
      else if (toTrain.d1[i] === toHold.d1[i]) ties++;
    }
    dcr = { closerToTrain: closer, ties, compared: synthQ.rows, share: (closer + ties / 2) / synthQ.rows };
    if (Math.abs(train.rows - holdout.rows) > 0.5 * Math.max(train.rows, holdout.rows)) {
      unavailable.push('DCR share: training and holdout sizes differ by more than 2x, so 50% is not the ideal value.');
    }
    const synthIndex = buildHammingIndex(synth);
    const hist = (t: CodeTable, stream: string): number[] => {
      const q = selectRows(t, sampleRows(t.rows, cap, opts.seed, stream));
      const h = new Array<number>(m + 1).fill(0);
      for (const d of hammingNeighbours(synthIndex, q, false).d1) h[d]++;
      return h;
    };
    const members = hist(train, 'eval/privacy/members');
    const nonMembers = hist(holdout, 'eval/privacy/nonmembers');
    // Higher score = smaller distance: reverse the distance bins so bin order is score order.
    mia = { members, nonMembers, auc: aucFromHistograms([...members].reverse(), [...nonMembers].reverse()) };
  }
  return {
    columns: m,
    synthRows: synth.rows,
    exactCopies: exact.synthCopies,
    exactMatchRate: exact.synthCopies / synth.rows,
    realReproduced: exact.realReproduced,
    dcrHistogram,
    nndrHistogram,
    nndrMean: nndrSum / synthQ.rows,
    dcr,
    mia,
    unavailable,
  };
}
