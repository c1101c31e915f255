// Mst: federated MST (McKenna, Miklau, Sheldon 2021, "Winning the NIST Contest: A scalable and
// general approach to differentially private synthetic data", JPC 11(3)), over a FederatedOracle.
import { estimate } from '../pgm/Estimation.js';
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import type { RandomSource } from '../dp/random/RandomSource.js';
import type { FederatedOracle } from './FederatedOracle.js';
import type { Measurement } from '../pgm/Measurement.js';
import { PrivacyAccountant } from '../dp/accounting/PrivacyAccountant.js';
import { compressDomain, decompressColumns, type DomainCompression } from './DomainCompression.js';
import { federatedL1Scores } from './federatedL1Scores.js';
import { federatedPairDependenceScores } from './federatedPairDependenceScores.js';
import { heterogeneityProbe } from './heterogeneityProbe.js';
import { AttributeForest } from './AttributeForest.js';

const DEFAULT_PROBE_SHARE = 0.02;

export interface MstOptions {
  /** Total zCDP budget; never exceeded. */
  readonly rho: number;
  /** Mirror-descent iterations of the final fit (default 1000, as the reference). */
  readonly iters?: number;
  /** Merge rare values (noisy count < 3 sigma) before selection (default true, as the paper). */
  readonly compress?: boolean;
  /**
   * Selection scores (docs/synthesis.md, "Federated MST"): `'party'` (default) scores each pair
   * against each party's OWN independence model (`pairDependenceScores`: no heterogeneity bias);
   * `'consortium'` against the independence model of the consortium's noisy 1-ways (`l1Scores`,
   * the earlier default: biased when parties are skewed on a column).
   */
  readonly selectionReference?: 'party' | 'consortium';
  /** Subtract each party's expected sampling deviation from its selection scores (default true). */
  readonly samplingCorrection?: boolean;
  /**
   * Share of rho for the heterogeneity probe (default 0.02, taken from the selection third; 0 = no
   * probe). Only with `selectionReference: 'party'`.
   */
  readonly probeShare?: number;
}

export interface MstResult {
  readonly model: GraphicalModel;
  /** Domain compression applied (the model lives in `compression.compressed`). */
  readonly compression: DomainCompression;
  readonly measurements: readonly Measurement[];
  /** The selected spanning tree's edges (attribute pairs in domain order). */
  readonly tree: readonly (readonly [string, string])[];
  /** `n` synthetic rows in the ORIGINAL domain, one Int32Array per column. */
  sample(n: number, rng: RandomSource): Int32Array[];
}

/**
 * MST. Budget split as in the paper (§4, Algorithm 1): rho/3 for all 1-way marginals, rho/3 for
 * selecting a spanning tree, rho/3 for measuring its d-1 edges (each third to a whole set of
 * marginals: L2 sensitivity sqrt(#sets)). Selection scores every pair (a,b) by the L1 distance
 * between the data's 2-way marginal and the independent model from the noisy 1-ways; centrally,
 * the paper runs d-1 exponential mechanisms inside Kruskal. Federated, the coordinator only sees
 * noisy sums, so ONE release of all pairs' summed local scores is made and Kruskal's maximum
 * spanning tree on the noisy scores is post-processing. By default each party scores a pair
 * against the independence model of its OWN 1-ways (federatedPairDependenceScores, sensitivity
 * 8·sqrt(#pairs) with sampling correction), after a heterogeneity probe (2% of rho) that may name
 * a skewed column whose pairs keep the consortium's distribution of the other attribute: no
 * heterogeneity bias (docs/synthesis.md). Then fit Private-PGM and sample; compressed values are
 * decompressed uniformly.
 */
export async function mst(oracle: FederatedOracle, opts: MstOptions): Promise<MstResult> {
  const domain = oracle.domain;
  const budget = new PrivacyAccountant(opts.rho);
  const third = opts.rho / 3;
  const attrs = domain.attrs;
  const oneWays = await oracle.measure(attrs.map((a) => [a]), budget.charge('mst/oneway', third).rho, 'mst/oneway');
  const compression = opts.compress === false ? compressDomain(domain, []) : compressDomain(domain, oneWays);
  const cdom = compression.compressed;
  const c1 = opts.compress === false ? oneWays : compression.oneWays;
  const recode = compression.recode;

  let tree: [string, string][] = [];
  if (attrs.length > 1) {
    const pairs: [string, string][] = [];
    for (let i = 0; i < attrs.length; i++) for (let j = i + 1; j < attrs.length; j++) pairs.push([attrs[i], attrs[j]]);
    const correction = opts.samplingCorrection ?? true;
    const probs = c1.map((m) => normalized(m.values));
    let scores: Float64Array;
    if ((opts.selectionReference ?? 'party') === 'party') {
      const probeShare = opts.probeShare ?? DEFAULT_PROBE_SHARE;
      let anchor: { attr: string; reference: number[][] } | undefined;
      if (probeShare > 0) {
        const skewed = await heterogeneityProbe(oracle, probs, budget.charge('mst/probe', probeShare * opts.rho).rho, 'mst/probe', recode);
        if (skewed !== undefined) {
          anchor = { attr: skewed, reference: pairs.map(([a, b]) => (a === skewed ? [...probs[domain.indexOf(b)]] : b === skewed ? [...probs[domain.indexOf(a)]] : [])) };
        }
      }
      const rhoSelect = budget.charge('mst/select', third - probeShare * opts.rho).rho;
      scores = (await federatedPairDependenceScores(oracle, pairs, rhoSelect, 'mst/select', recode, correction, anchor)).scores;
    } else {
      const rhoSelect = budget.charge('mst/select', third).rho;
      scores = (await federatedL1Scores(oracle, pairs, probs, rhoSelect, 'mst/select', recode, correction)).scores;
    }
    tree = maximumSpanningTree(attrs, pairs, scores);
  }
  const edges = tree.length > 0 ? await oracle.measure(tree, budget.charge('mst/measure', third).rho, 'mst/measure', recode) : [];
  const measurements = [...c1, ...edges];
  const model = estimate(cdom, measurements, { iters: opts.iters ?? 1000 });
  return {
    model,
    compression,
    measurements,
    tree,
    sample: (n, rng) => decompressColumns(compression, model.sample(n, rng), rng),
  };
}

/** Kruskal on descending scores (ties by pair order): the maximum-weight spanning forest. */
export function maximumSpanningTree(attrs: readonly string[], pairs: readonly (readonly [string, string])[], scores: ArrayLike<number>): [string, string][] {
  const forest = new AttributeForest();
  const order = pairs.map((_, k) => k).sort((x, y) => scores[y] - scores[x] || x - y);
  const out: [string, string][] = [];
  for (const k of order) {
    const [a, b] = pairs[k];
    if (forest.closesCycle(pairs[k])) continue;
    forest.join(pairs[k]);
    out.push([a, b]);
    if (out.length === attrs.length - 1) break;
  }
  return out;
}

/** Non-negative part normalized to sum 1 (uniform when nothing is positive). */
export function normalized(v: Float64Array): Float64Array {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += Math.max(0, v[k]);
  const out = new Float64Array(v.length);
  for (let k = 0; k < v.length; k++) out[k] = s > 0 ? Math.max(0, v[k]) / s : 1 / v.length;
  return out;
}

