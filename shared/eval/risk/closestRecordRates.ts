// closestRecordRates: how close synthetic rows come to the training rows compared with equally many
// control rows — exact-match rate and distance to closest record (DCR), each with its control rate.
//
// The training side is a seeded subsample of the training rows as large as the control set, so the
// two reference sets have the same size and a generator that does not copy gives equal rates and a
// 50% share of synthetic rows closer to training (ties 1/2; Platzer & Reutterer 2021).
import type { CodeTable } from '../CodeTable.js';
import { selectRows } from '../CodeTable.js';
import { buildHammingIndex, hammingNeighbours } from '../hammingNeighbours.js';
import { sampleRows } from '../sampleRows.js';

/** Exact-match and DCR figures of the sampled synthetic rows against training and control rows. */
export interface ClosestRecordRates {
  readonly synthRowsCompared: number;
  /** Size of each reference set (training subsample and control). */
  readonly referenceRows: number;
  readonly exactMatch: { readonly train: number; readonly control: number };
  /** Mean Hamming distance to the closest record. */
  readonly meanDcr: { readonly train: number; readonly control: number };
  /** Share of synthetic rows strictly closer to training than to control, ties counted 1/2 (reference 0.5). */
  readonly closerToTrain: number;
  /** Histograms of DCR (index = distance) against each reference. */
  readonly histogram: { readonly train: number[]; readonly control: number[] };
}

/** Compares up to `maxSynth` synthetic rows (seeded sample) with training and control rows. */
export function closestRecordRates(synth: CodeTable, train: CodeTable, control: CodeTable, maxSynth: number, seed: string): ClosestRecordRates {
  const m = synth.columns.length;
  const n = Math.min(train.rows, control.rows);
  const q = selectRows(synth, sampleRows(synth.rows, maxSynth, seed, 'risk/dcr/synth'));
  // The reference rows are indexed where they are (no copy), one index at a time.
  const dt = hammingNeighbours(buildHammingIndex(train, undefined, sampleRows(train.rows, n, seed, 'risk/dcr/train')), q, false).d1;
  const dc = hammingNeighbours(buildHammingIndex(control, undefined, control.rows === n ? undefined : sampleRows(control.rows, n, seed, 'risk/dcr/control')), q, false).d1;
  const ht = new Array<number>(m + 1).fill(0);
  const hc = new Array<number>(m + 1).fill(0);
  let closer = 0;
  let st = 0;
  let sc = 0;
  for (let i = 0; i < q.rows; i++) {
    ht[dt[i]]++;
    hc[dc[i]]++;
    st += dt[i];
    sc += dc[i];
    closer += dt[i] < dc[i] ? 1 : dt[i] === dc[i] ? 0.5 : 0;
  }
  return {
    synthRowsCompared: q.rows,
    referenceRows: n,
    exactMatch: { train: ht[0] / q.rows, control: hc[0] / q.rows },
    meanDcr: { train: st / q.rows, control: sc / q.rows },
    closerToTrain: closer / q.rows,
    histogram: { train: ht, control: hc },
  };
}
