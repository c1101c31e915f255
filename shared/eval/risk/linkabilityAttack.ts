// linkabilityAttack: can the synthetic data link two halves of the same person's record? The columns
// are split into two auxiliary sets A and B (e.g. two databases an attacker holds); for each target,
// the synthetic row nearest on A and the synthetic row nearest on B are found; the attack succeeds
// when they are the same row (Giomi et al., PETS 2023, sec. 4.2; Anonymeter's LinkabilityEvaluator
// with one neighbour). Run on training targets (main) and on control targets; the baseline links
// two uniformly random synthetic rows.
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import type { CodeTable } from '../CodeTable.js';
import type { AttackCounts } from './attackRisk.js';
import { seededRandomSource } from '../../dp/random/RandomSource.js';
import { uniformInt } from '../../dp/random/uniform.js';
import { columnEntropy } from '../entropyBlocks.js';
import { buildKeyIndex, nearestKeys, queryCodes, type KeyIndex } from './KeyIndex.js';
import { tieBreakRanks } from './tieBreakRanks.js';

/** The two auxiliary column sets (disjoint, non-empty, column indices). */
export type AuxiliarySplit = readonly [readonly number[], readonly number[]];

/** Success counts of the three linkability attacks, with the split used. */
export interface LinkabilityCounts extends AttackCounts {
  readonly split: AuxiliarySplit;
}

/** Default split: columns by entropy in `synth`, dealt alternately to A and B so both halves carry similar information. */
export function defaultAuxiliarySplit(synth: CodeTable): AuxiliarySplit {
  const h = synth.data.map((col, c) => columnEntropy(col, synth.sizes[c]));
  const order = h.map((_, c) => c).sort((a, b) => h[b] - h[a] || a - b);
  return [order.filter((_, i) => i % 2 === 0), order.filter((_, i) => i % 2 === 1)];
}

function checkSplit(split: AuxiliarySplit, m: number): void {
  const seen = new Set<number>();
  for (const side of split) {
    if (side.length === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'linkability: each auxiliary column set must be non-empty');
    for (const c of side) {
      if (!Number.isInteger(c) || c < 0 || c >= m || seen.has(c)) throw new FedsynthError(ErrorCode.InvalidArgument, `linkability: bad or repeated column ${c}`);
      seen.add(c);
    }
  }
}

function nearestRow(index: KeyIndex, targets: CodeTable, r: number, q: Int32Array, found: number[]): number {
  nearestKeys(index, queryCodes(index, targets, r, q), found);
  let row = -1;
  let rank = Infinity;
  for (const k of found) {
    if (index.bestRank[k] < rank) {
      rank = index.bestRank[k];
      row = index.bestRow[k];
    }
  }
  return row;
}

function linked(a: KeyIndex, b: KeyIndex, targets: CodeTable, rows: ArrayLike<number>): number {
  const qa = new Int32Array(a.cols.length);
  const qb = new Int32Array(b.cols.length);
  const found: number[] = [];
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    if (nearestRow(a, targets, rows[i], qa, found) === nearestRow(b, targets, rows[i], qb, found)) n++;
  }
  return n;
}

/** Runs the attack on `trainTargets` rows of `train` and `controlTargets` rows of `control`. */
export function linkabilityAttack(
  synth: CodeTable,
  train: CodeTable,
  trainTargets: ArrayLike<number>,
  control: CodeTable,
  controlTargets: ArrayLike<number>,
  opts: { readonly seed: string; readonly split?: AuxiliarySplit },
): LinkabilityCounts {
  const split = opts.split ?? defaultAuxiliarySplit(synth);
  checkSplit(split, synth.columns.length);
  const rank = tieBreakRanks(synth.rows, opts.seed, 'risk/linkability/ties');
  const a = buildKeyIndex(synth, split[0], rank);
  const b = buildKeyIndex(synth, split[1], rank);
  const rng = seededRandomSource(opts.seed, 'risk/linkability/baseline');
  let baseline = 0;
  for (let i = 0; i < trainTargets.length; i++) if (uniformInt(rng, synth.rows) === uniformInt(rng, synth.rows)) baseline++;
  return {
    split,
    attacks: trainTargets.length,
    successes: linked(a, b, train, trainTargets),
    controlAttacks: controlTargets.length,
    controlSuccesses: linked(a, b, control, controlTargets),
    baselineAttacks: trainTargets.length,
    baselineSuccesses: baseline,
  };
}
