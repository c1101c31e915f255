// inferenceAttack: can the synthetic data reveal a secret column of a person whose other columns the
// attacker knows? For each target the attacker finds the synthetic rows nearest on every column but
// the secret and guesses the secret value most common among them (Giomi et al., PETS 2023, sec. 4.3;
// Anonymeter's InferenceEvaluator, with a majority vote over equally near rows instead of one of them).
// Run on training targets (main) and control targets; the baseline guesses the secret of a random
// synthetic row.
import type { CodeTable } from '../CodeTable.js';
import type { AttackCounts } from './attackRisk.js';
import { seededRandomSource } from '../../dp/random/RandomSource.js';
import { uniformInt } from '../../dp/random/uniform.js';
import { buildKeyIndex, nearestKeys, queryCodes, type KeyIndex } from './KeyIndex.js';

/** Success counts of the three inference attacks on one secret column. */
export interface InferenceCounts extends AttackCounts {
  readonly secret: number;
}

function guessed(index: KeyIndex, secret: number, targets: CodeTable, rows: ArrayLike<number>): number {
  const q = new Int32Array(index.cols.length);
  const votes = new Int32Array(index.secretSize);
  const counts = index.secretCounts as Int32Array;
  const found: number[] = [];
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    nearestKeys(index, queryCodes(index, targets, r, q), found);
    votes.fill(0);
    for (const k of found) for (let v = 0; v < index.secretSize; v++) votes[v] += counts[k * index.secretSize + v];
    let guess = 0;
    for (let v = 1; v < index.secretSize; v++) if (votes[v] > votes[guess]) guess = v;
    if (guess === targets.data[secret][r]) n++;
  }
  return n;
}

/** Runs the attack for column `secret` on the given training and control target rows. */
export function inferenceAttack(
  synth: CodeTable,
  train: CodeTable,
  trainTargets: ArrayLike<number>,
  control: CodeTable,
  controlTargets: ArrayLike<number>,
  secret: number,
  seed: string,
): InferenceCounts {
  const aux = synth.columns.map((_, c) => c).filter((c) => c !== secret);
  const index = buildKeyIndex(synth, aux, new Float64Array(synth.rows), secret);
  const rng = seededRandomSource(seed, `risk/inference/baseline/${secret}`);
  let baseline = 0;
  const s = synth.data[secret];
  for (let i = 0; i < trainTargets.length; i++) if (s[uniformInt(rng, synth.rows)] === train.data[secret][trainTargets[i]]) baseline++;
  return {
    secret,
    attacks: trainTargets.length,
    successes: guessed(index, secret, train, trainTargets),
    controlAttacks: controlTargets.length,
    controlSuccesses: guessed(index, secret, control, controlTargets),
    baselineAttacks: trainTargets.length,
    baselineSuccesses: baseline,
  };
}
