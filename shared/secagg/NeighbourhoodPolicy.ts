// NeighbourhoodPolicy: which SecAgg+ neighbourhood sizes k (Bell et al., CCS 2020) are safe for a
// round of n parties with threshold t and up to f colluders, the coordinator's default, and the checks.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { buildNeighbourGraph } from './NeighbourGraph.js';

/** Consortia up to this size use the full graph (Bonawitz et al. 2017) unless the operator asks. */
export const FULL_GRAPH_MAX_PARTIES = 64;

/** The largest neighbourhood Shamir over GF(2^8) supports (RoundConfig: k + 1 <= 255). */
const MAX_NEIGHBOURHOOD = 254;

/** The public facts of a round that the safety of its graph depends on. */
export interface NeighbourhoodRisk {
  /** n: parties of the round. */
  parties: number;
  /** t: the round's Shamir threshold (survivors needed). */
  threshold: number;
  /** f: parties that may collude with the coordinator (StudySpec.colluders). */
  colluders: number;
}

/**
 * The floor on k, independent of t: even, at least 2*ceil(log2 n) and at least 2f + 2.
 * - 2*ceil(log2 n): Bell et al. 2020 show k = O(log n) neighbours keep the graph of honest
 *   survivors connected (so no honest input is isolated) with high probability when the graph is
 *   random; the constant 2 is this project's, below the paper's sigma-bit parameter tables.
 * - 2f + 2: the graph is derived from the round id, which the coordinator chooses, so it may grind
 *   ids until a victim's neighbourhood holds all f colluders; with k >= 2f + 2 at least f + 2 of
 *   the victim's neighbours stay honest whatever the coordinator does (worst case, not average).
 */
export function neighbourFloor(parties: number, colluders: number): number {
  const log = Math.ceil(Math.log2(Math.max(2, parties)));
  const k = Math.max(2 * log, 2 * colluders + 2);
  return k + (k % 2);
}

/** Degree and share threshold of the graph `k` gives (0 = full graph), as NeighbourGraph builds it. */
export function neighbourhoodShape(risk: NeighbourhoodRisk, k: number): { degree: number; shareThreshold: number; sparse: boolean } {
  const n = risk.parties;
  const parties = Array.from({ length: n }, (_, i) => `p${i}`);
  const sparse = k > 0 && k < n - 1;
  const g = buildNeighbourGraph({ roundId: 'neighbourhood-policy', parties, threshold: risk.threshold, vectorLength: 1, modulusBits: 32, ...(sparse ? { neighbours: k } : {}) });
  let degree = n;
  for (const s of g.neighbours.values()) degree = Math.min(degree, s.size);
  return { degree, shareThreshold: g.shareThreshold, sparse };
}

/**
 * Why `k` is unsafe for `risk`, or undefined when it is safe. The checks are worst-case: the graph
 * follows from the round id, which the coordinator chooses, so it may grind ids for the graph it
 * likes; nothing below relies on the graph being random.
 * - sparse k: even, k >= neighbourFloor(n, f) and k >= `extraFloor` (an agent's own policy);
 * - share threshold s (t itself for the full graph) >= f + 2: the f colluders plus the victim's
 *   own share (a survivor reveals its share of its own seed) stay below s, so they cannot rebuild
 *   a victim's self-mask seed or mask key without an honest neighbour (SecAgg+ scales t down to
 *   s = ceil(t (k+1) / n) inside a neighbourhood);
 * - sparse k >= f + (n - t) + 1: the ring graph (Harary H_{k,n}) is k-vertex-connected, so with at
 *   most f colluders and n - t dropouts removed the honest survivors stay connected. A component
 *   cut off from the other honest survivors would let the coordinator learn the partial sum of
 *   that component alone (Bell et al. 2020 ask the same connectivity of their random graph, with
 *   high probability; here it holds for every labelling).
 */
export function neighbourhoodShortfall(risk: NeighbourhoodRisk, k: number, extraFloor = 0): string | undefined {
  const { parties: n, colluders: f, threshold: t } = risk;
  if (!Number.isInteger(k) || k < 0) return `neighbours must be a non-negative integer, got ${k}`;
  const sparse = k > 0 && k < n - 1;
  if (sparse) {
    if (k % 2 !== 0) return `neighbours k = ${k} must be even (the SecAgg+ ring joins k/2 parties on each side)`;
    const floor = Math.max(neighbourFloor(n, f), extraFloor);
    if (k < floor) return `neighbours k = ${k} is below the safe minimum ${floor} for n = ${n} parties and f = ${f} colluders`;
  } else if (n > MAX_NEIGHBOURHOOD + 1) {
    return `the full graph supports at most ${MAX_NEIGHBOURHOOD + 1} parties; choose neighbours (SecAgg+)`;
  }
  const { shareThreshold } = neighbourhoodShape(risk, k);
  if (shareThreshold < f + 2) {
    return `${sparse ? `neighbourhood share threshold ${shareThreshold} (k = ${k})` : `threshold t = ${shareThreshold}`} must exceed the f = ${f} colluders plus the victim's own revealed share (at least ${f + 2})`;
  }
  if (sparse && k < f + (n - t) + 1) {
    return `neighbours k = ${k} must exceed f + (n - t) = ${f + n - t} so that the honest survivors stay connected whoever colludes or drops out`;
  }
  return undefined;
}

/** The smallest safe even k for `risk`, or 0 when only the full graph is safe. */
export function minSafeNeighbours(risk: NeighbourhoodRisk, extraFloor = 0): number {
  const n = risk.parties;
  let k = Math.max(neighbourFloor(n, risk.colluders), extraFloor, risk.colluders + (n - risk.threshold) + 1);
  k += k % 2;
  for (; k < n - 1 && k <= MAX_NEIGHBOURHOOD; k += 2) if (neighbourhoodShortfall(risk, k, extraFloor) === undefined) return k;
  return 0;
}

/**
 * The coordinator's choice when the operator leaves k = 0: the full graph up to
 * FULL_GRAPH_MAX_PARTIES parties (its O(n) cost per party is small there and it is the stronger
 * protocol), else the smallest safe k. Throws InvalidArgument when no graph is safe.
 */
export function defaultNeighbours(risk: NeighbourhoodRisk): number {
  if (risk.parties <= FULL_GRAPH_MAX_PARTIES) return resolveNeighbours(risk, 0, false);
  return resolveNeighbours(risk, minSafeNeighbours(risk), false);
}

/**
 * Validates an operator's k (0 = choose automatically) at study creation and returns the value to
 * store: 0 for the full graph, else the sparse k. Throws InvalidArgument (field spec.neighbours).
 */
export function resolveNeighbours(risk: NeighbourhoodRisk, k: number, automatic = true): number {
  const fail = (why: string): never => {
    throw new FedsynthError(ErrorCode.InvalidArgument, `spec.neighbours: ${why}`, { field: 'spec.neighbours', neighbours: k, parties: risk.parties });
  };
  if (automatic && k === 0) return defaultNeighbours(risk);
  if (!Number.isInteger(k) || k < 0) fail(`must be a non-negative integer, got ${k}`);
  if (k >= risk.parties) fail(`k = ${k} must be below the number of parties n = ${risk.parties} (k = n - 1 is the full graph)`);
  const why = neighbourhoodShortfall(risk, k);
  if (why !== undefined) {
    const min = minSafeNeighbours(risk);
    fail(`${why}; ${min > 0 ? `use k >= ${min} (even)` : 'only the full graph is safe here'}`);
  }
  return k >= risk.parties - 1 ? 0 : k;
}

/** The RoundConfig.neighbours of a round: undefined (full graph) for k = 0 or k >= n - 1. */
export function roundNeighbours(k: number, parties: number): number | undefined {
  return k > 0 && k < parties - 1 ? k : undefined;
}
