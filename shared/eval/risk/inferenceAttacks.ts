// inferenceAttacks: can the synthetic data reveal a secret column of a person whose other columns the
// attacker knows? For each target the attacker finds the synthetic rows nearest on every column but
// the secret and guesses the secret value most common among them (Giomi et al., PETS 2023, sec. 4.3;
// Anonymeter's InferenceEvaluator, with a majority vote over equally near rows instead of one of them).
// Run on training targets (main) and control targets; the baseline guesses the secret of a random
// synthetic row.
//
// Every secret column is answered from one search per target: with D the Hamming distance on all
// columns and D* its minimum, the distance without secret s is D − [differs on s], at least D* − 1,
// so the rows nearest without s are among the rows with D <= D* + 1 (KeyIndex.keysWithin, slack 1).
// The votes are the same row counts as one index per secret would give. The search also yields each
// target's distance to its nearest synthetic row, which membershipInference scores.
import type { CodeTable } from '../CodeTable.js';
import type { AttackCounts } from './attackRisk.js';
import { seededRandomSource } from '../../dp/random/RandomSource.js';
import { uniformInt } from '../../dp/random/uniform.js';
import { buildKeyIndex, keysWithin, queryCodes, type KeyIndex } from './KeyIndex.js';

/** Success counts of the three inference attacks on one secret column. */
export interface InferenceCounts extends AttackCounts {
  readonly secret: number;
}

/** Per secret column its counts; per target its Hamming distance to the nearest synthetic row (all columns). */
export interface InferenceResult {
  readonly counts: InferenceCounts[];
  /** Distances of the training and control targets, in target order (what membershipInference scores). */
  readonly nearest: { readonly train: Int32Array; readonly control: Int32Array };
}

/**
 * Multi-index levels of the all-column index: slack 1 needs level D* + 2 to stop before the full
 * scan, so two more than the per-column default (4) keep near targets (D* <= 4) off the scan.
 */
const LEVELS = 6;

/** Per secret (in `secrets` order): how many of `rows` of `targets` the attack guesses right; `nearest[i]` gets row i's minimum distance. */
function guessed(index: KeyIndex, secrets: readonly number[], sizes: readonly number[], targets: CodeTable, rows: ArrayLike<number>, nearest: Int32Array): number[] {
  const m = index.cols.length;
  const q = new Int32Array(m);
  // Position of each secret column in the index's column order.
  const pos = secrets.map((s) => index.cols.indexOf(s));
  const votes = secrets.map((s) => new Int32Array(sizes[s]));
  const hits = secrets.map(() => 0);
  const found: number[] = [];
  const dist: number[] = [];
  const codes = index.codes;
  const counts = index.rows;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    nearest[i] = keysWithin(index, queryCodes(index, targets, r, q), 1, found, dist);
    for (let j = 0; j < secrets.length; j++) {
      const p = pos[j];
      const qs = q[p];
      // Distance without the secret column: the nearest keys are those at the minimum.
      let min = Infinity;
      for (let f = 0; f < found.length; f++) {
        const d = dist[f] - (codes[found[f] * m + p] !== qs ? 1 : 0);
        if (d < min) min = d;
      }
      const v = votes[j];
      v.fill(0);
      for (let f = 0; f < found.length; f++) {
        const k = found[f];
        const c = codes[k * m + p];
        if (dist[f] - (c !== qs ? 1 : 0) === min) v[c] += counts[k];
      }
      let guess = 0;
      for (let x = 1; x < v.length; x++) if (v[x] > v[guess]) guess = x;
      if (guess === qs) hits[j]++;
    }
  }
  return hits;
}

/** Runs the attack for each column of `secrets` on the given training and control target rows. */
export function inferenceAttacks(
  synth: CodeTable,
  train: CodeTable,
  trainTargets: ArrayLike<number>,
  control: CodeTable,
  controlTargets: ArrayLike<number>,
  secrets: readonly number[],
  seed: string,
): InferenceResult {
  const nearest = { train: new Int32Array(trainTargets.length), control: new Int32Array(controlTargets.length) };
  const index = buildKeyIndex(synth, synth.columns.map((_, c) => c), new Float64Array(synth.rows), null, LEVELS);
  const main = guessed(index, secrets, synth.sizes, train, trainTargets, nearest.train);
  const ctrl = guessed(index, secrets, synth.sizes, control, controlTargets, nearest.control);
  const counts = secrets.map((secret, j) => {
    const rng = seededRandomSource(seed, `risk/inference/baseline/${secret}`);
    let baseline = 0;
    const s = synth.data[secret];
    for (let i = 0; i < trainTargets.length; i++) if (s[uniformInt(rng, synth.rows)] === train.data[secret][trainTargets[i]]) baseline++;
    return {
      secret,
      attacks: trainTargets.length,
      successes: main[j],
      controlAttacks: controlTargets.length,
      controlSuccesses: ctrl[j],
      baselineAttacks: trainTargets.length,
      baselineSuccesses: baseline,
    };
  });
  return { counts, nearest };
}
