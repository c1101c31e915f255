// pooledRiskCounts: the integer vector one silo contributes to the consortium-wide (pooled) risk
// figures — attack success counts on EVERY training and control row, with its per-record sensitivity.
//
// Layout for a domain of m columns (length 4m + 4; `pooledRiskLayout`):
//   members[0..m]       training rows by Hamming distance to their nearest synthetic row (MIA histogram)
//   nonMembers[0..m]    control rows, the same
//   linkTrain, linkControl                  linkability successes (training / control targets)
//   inferTrain[0..m-1], inferControl[0..m-1] inference successes per secret column
// The numbers of targets are the histograms' sums (every row is a target: no sampling, so adding a
// row never changes which OTHER rows are targets).
//
// Sensitivity (add or remove one record at one silo; the synthetic rows are fixed and public — this
// release is made after delivery, and its rho is composed with the study's). Every attack's outcome
// on a target depends only on that target row and the synthetic rows (linkability: its nearest
// synthetic rows on the two column halves, ties broken by ranks of the SYNTHETIC rows; inference: the
// synthetic rows nearest on all columns but the secret; MIA: its nearest synthetic distance). A record
// placed on one side (training or control) changes, by at most 1 each: one histogram bin, one
// linkability count and one inference count per column: squared L2 <= 1 + 1 + m. With F singling-out
// families (pooledSinglingOut: Anonymeter's predicates packed so that no record matches two of one
// family) 2F + 1 entries follow, and the one-side change is m + 2 + 4F (derived there). The silo's
// split itself depends on the rows (a new record can push a control row into training), so the
// release's sensitivity is larger: sqrt(2m + 5 [+ 10F + 1]), derived at pooledRiskSensitivity.
// Not included, because one record can move them by an unbounded amount: Anonymeter's unpacked
// singling-out count (a record makes or breaks "matches exactly one row" for every predicate it
// matches) and the synthetic-row centred exact-match / DCR rates (one record can be the copy of many
// synthetic rows). The pooled
// exact-match and DCR rates are record-centred instead: the share of real rows with a synthetic row
// at distance 0 (resp. <= DCR_CLOSE), read from the MIA histograms.
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import type { CodeTable } from '../CodeTable.js';
import { assertSameDomain } from '../totalVariation.js';
import { inferenceAttacks } from './inferenceAttacks.js';
import { linkabilityAttack } from './linkabilityAttack.js';
import { membershipInference } from './membershipInference.js';
import { pooledSinglingOutCounts, type SinglingOutFamily } from './pooledSinglingOut.js';

/** Offsets of each block of the vector for a domain of `m` columns. */
export interface PooledRiskLayout {
  readonly columns: number;
  readonly members: number;
  readonly nonMembers: number;
  readonly linkTrain: number;
  readonly linkControl: number;
  readonly inferTrain: number;
  readonly inferControl: number;
  /** Singling-out families (0: no singling-out block) and the block's offsets (pooledSinglingOut). */
  readonly families: number;
  readonly soTrain: number;
  readonly soControl: number;
  readonly soSilos: number;
  readonly length: number;
}

export function pooledRiskLayout(m: number, families = 0): PooledRiskLayout {
  if (!Number.isInteger(m) || m < 2) throw new FedsynthError(ErrorCode.InvalidArgument, `pooled risk needs at least two columns, got ${m}`);
  if (!Number.isInteger(families) || families < 0) throw new FedsynthError(ErrorCode.InvalidArgument, `pooled risk: singling-out families must be a non-negative integer, got ${families}`);
  const base = 4 * m + 4;
  return {
    columns: m,
    members: 0,
    nonMembers: m + 1,
    linkTrain: 2 * m + 2,
    linkControl: 2 * m + 3,
    inferTrain: 2 * m + 4,
    inferControl: 3 * m + 4,
    families,
    soTrain: base,
    soControl: base + families,
    soSilos: base + 2 * families,
    length: families > 0 ? base + 2 * families + 1 : base,
  };
}

/**
 * Squared L2 change of the vector when one record is added to or removed from ONE SIDE of a silo
 * (training or control) and nothing else moves: m + 2, plus 4 per singling-out family (derivations
 * above and in pooledSinglingOut). Not the release's sensitivity: see pooledRiskSensitivity.
 */
export function oneSideSquaredChange(m: number, families = 0): number {
  pooledRiskLayout(m, families);
  return m + 2 + 4 * families;
}

/**
 * L2 sensitivity of the vector under adding/removing one record at one silo, with the silo's split
 * into training and control as the agent makes it (ControlHoldout: the k rows of smallest keyed
 * digest). Adding a record x whose digest is among the k smallest puts x in the control rows AND
 * pushes one control row y into training, so three row moves happen at once (x into control, y out
 * of control, y into training). Per block, worst case:
 *  - MIA histograms: y's member bin +1, y's non-member bin -1, x's non-member bin +1: squared 3.
 *  - linkability: training count +1 (y), control count moves by at most 1 (y out, x in): 2.
 *  - inference, per column the same: 2m.
 *  - singling out, per family: distinct control rows are unchanged and distinct training rows grow by
 *    one, so s may grow by one; the compared control prefix then loses y and gains x and one more row
 *    (|d| <= 3) while the compared training rows gain y (|d| <= 1): 9 + 1 = 10; or without s growing
 *    2 and 2: 8. The silo unit entry moves by at most 1 (only when s grows).
 * When x lands in training nothing else moves (oneSideSquaredChange <= the bound below). Removing a
 * record is the reverse. Hence
 *   Delta_2 = sqrt(2m + 5)                (no singling-out block)
 *   Delta_2 = sqrt(2m + 5 + 10F + 1)      (F >= 1 families)
 * times maxSilosPerIndividual. Checked by brute force through the agent's own split in
 * party-agent/evaluation/pooledRiskNeighbours.test.ts (the one-side bound sqrt(m + 2 + 4F) is
 * exceeded there, so it is not the release's sensitivity).
 */
export function pooledRiskSensitivity(m: number, families = 0): number {
  pooledRiskLayout(m, families);
  return Math.sqrt(2 * m + 5 + (families > 0 ? 10 * families + 1 : 0));
}

function allRows(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * The exact count vector of one silo (`control` may have no rows). `seed` fixes the synthetic rows'
 * tie-break ranks and the compared rows' order; `families` (verified: verifySinglingOutFamilies) adds
 * the singling-out block.
 */
export function pooledRiskCounts(train: CodeTable, control: CodeTable, synth: CodeTable, seed: string, families: readonly SinglingOutFamily[] = []): Float64Array {
  // A silo may hold no control rows (or, in principle, no training rows): its counts are then 0.
  assertSameDomain(train, synth, true);
  assertSameDomain(control, synth, true);
  if (synth.rows === 0) throw new FedsynthError(ErrorCode.InvalidArgument, 'pooled risk: the synthetic table has no rows');
  const L = pooledRiskLayout(synth.columns.length, families.length);
  const out = new Float64Array(L.length);
  const t = allRows(train.rows);
  const c = allRows(control.rows);
  const link = linkabilityAttack(synth, train, t, control, c, { seed });
  out[L.linkTrain] = link.successes;
  out[L.linkControl] = link.controlSuccesses;
  const inference = inferenceAttacks(synth, train, t, control, c, Array.from({ length: L.columns }, (_, s) => s), seed);
  for (const inf of inference.counts) {
    out[L.inferTrain + inf.secret] = inf.successes;
    out[L.inferControl + inf.secret] = inf.controlSuccesses;
  }
  const mia = membershipInference(synth, train, t, control, c, 0.95, inference.nearest);
  out.set(mia.members, L.members);
  out.set(mia.nonMembers, L.nonMembers);
  if (families.length > 0) out.set(pooledSinglingOutCounts(train, control, families, seed), L.soTrain);
  return out;
}
