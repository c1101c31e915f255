// federatedConditionalL1Scores: noisy sums over parties of each party's L1 error against a
// reference built from its OWN counts of a conditioning set (heterogeneity-corrected scores).
import type { GraphicalModel } from '../pgm/GraphicalModel.js';
import type { FederatedOracle } from './FederatedOracle.js';
import type { LocalQuery } from './LocalQuery.js';

/**
 * Releases s[r] = sum_i round(|| M_r(D_i) − sum_y c_i(y) p̂(r | y) ||_1 [− floor_i]) + noise for
 * every candidate r with conditioning set `conditions[r]` (LocalQuery `conditionalL1Scores`):
 * L2 sensitivity 2·sqrt(#candidates) (3·sqrt with `samplingCorrection`), `rho`-zCDP. The model
 * joint over r ∪ Y_r is public (post-processing of earlier releases): the model is sent, each
 * party projects it.
 */
export async function federatedConditionalL1Scores(
  oracle: FederatedOracle,
  model: GraphicalModel,
  candidates: readonly (readonly string[])[],
  conditions: readonly (readonly string[])[],
  rho: number,
  label: string,
  samplingCorrection: boolean,
  multinomialFloor = false,
): Promise<{ scores: Float64Array; stddev: number }> {
  // The parties derive each reference max(0, project(r ∪ Y_r)) from the model themselves
  // (modelReferences.ts): the query carries the model once instead of one table per candidate.
  const query: LocalQuery = {
    kind: 'conditionalL1Scores',
    candidates,
    conditions,
    model: model.snapshot(),
    ...(samplingCorrection ? { samplingCorrection: true } : {}),
    ...(samplingCorrection && multinomialFloor ? { multinomialFloor: true } : {}),
  };
  const res = await oracle.secureSum(query, rho, label);
  return { scores: res.values, stddev: res.stddev };
}
