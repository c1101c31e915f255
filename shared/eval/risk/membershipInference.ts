// membershipInference: a distance-based membership-inference attack. The attacker scores a real row
// by how close the synthetic data comes to it (score = −Hamming distance to the nearest synthetic
// row) and calls close rows members. AUC of training rows (members) against control rows
// (non-members): 0.5 = membership is invisible, 1 = every member is recognised (the distance attack
// of Chen et al., "GAN-Leaks", CCS 2020, in its black-box form). The interval is Hanley & McNeil's
// (Radiology 1982) normal approximation to the AUC's standard error.
import { ErrorCode, FedsynthError } from '../../errors/FedsynthError.js';
import type { CodeTable } from '../CodeTable.js';
import { selectRows } from '../CodeTable.js';
import { aucFromHistograms } from '../classificationMetrics.js';
import { buildHammingIndex, hammingNeighbours, type HammingIndex } from '../hammingNeighbours.js';
import { normalQuantile } from './normalQuantile.js';
import { clamp01 } from './wilsonScore.js';

/** Histograms of the nearest-synthetic distance (index = distance 0..m) and the attack's AUC. */
export interface MembershipInference {
  readonly members: number[];
  readonly nonMembers: number[];
  readonly auc: number;
  readonly ci: readonly [number, number];
  /** Share of members and non-members with a synthetic row at distance 0 (exact copies). */
  readonly memberExact: number;
  readonly nonMemberExact: number;
}

/** Hanley–McNeil interval of an AUC from n1 positives and n2 negatives. */
export function aucInterval(auc: number, n1: number, n2: number, confidence = 0.95): readonly [number, number] {
  const se = aucStandardError(auc, n1, n2);
  const z = normalQuantile(0.5 * (1 + confidence));
  return [clamp01(auc - z * se), clamp01(auc + z * se)];
}

/** Hanley & McNeil's (1982) standard error of an AUC from n1 positives and n2 negatives. */
export function aucStandardError(auc: number, n1: number, n2: number): number {
  const q1 = auc / (2 - auc);
  const q2 = (2 * auc * auc) / (1 + auc);
  return Math.sqrt(Math.max(0, (auc * (1 - auc) + (n1 - 1) * (q1 - auc * auc) + (n2 - 1) * (q2 - auc * auc)) / (n1 * n2)));
}

function histogram(m: number, distances: ArrayLike<number>): number[] {
  const h = new Array<number>(m + 1).fill(0);
  for (let i = 0; i < distances.length; i++) h[distances[i]]++;
  return h;
}

function nearestDistances(index: HammingIndex, t: CodeTable, rows: ArrayLike<number>): ArrayLike<number> {
  return hammingNeighbours(index, selectRows(t, rows), false).d1;
}

/**
 * The attack on `memberRows` of `train` and `nonMemberRows` of `control`, against `synth`.
 * `nearest`: those rows' distances to their nearest synthetic row when already known (the
 * inference attack's search finds them), else they are searched here.
 */
export function membershipInference(
  synth: CodeTable,
  train: CodeTable,
  memberRows: ArrayLike<number>,
  control: CodeTable,
  nonMemberRows: ArrayLike<number>,
  confidence = 0.95,
  nearest?: { readonly train: ArrayLike<number>; readonly control: ArrayLike<number> },
): MembershipInference {
  const m = synth.columns.length;
  let d = nearest;
  if (!d) {
    const index = buildHammingIndex(synth);
    d = { train: nearestDistances(index, train, memberRows), control: nearestDistances(index, control, nonMemberRows) };
  }
  if (d.train.length !== memberRows.length || d.control.length !== nonMemberRows.length) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'membership inference: one nearest distance per member and non-member row');
  }
  const members = histogram(m, d.train);
  const nonMembers = histogram(m, d.control);
  // Higher score = smaller distance: reverse the bins so bin order is score order.
  const auc = aucFromHistograms([...members].reverse(), [...nonMembers].reverse());
  return {
    members,
    nonMembers,
    auc,
    ci: aucInterval(auc, memberRows.length, nonMemberRows.length, confidence),
    memberExact: members[0] / memberRows.length,
    nonMemberExact: nonMembers[0] / nonMemberRows.length,
  };
}
