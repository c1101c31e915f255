// federatedL1Scores: noisy sums over parties of each party's L1 distance between its local
// marginal and the consortium's independence model (the AugFLAIM-style score path, via secure aggregation).
import type { FederatedOracle } from './FederatedOracle.js';
import type { AttributeRecode } from './LocalQuery.js';

/**
 * Releases s[r] = sum_i round(|| M_r(D_i) - n_i * p_r ||_1) + noise for every candidate r, where
 * p_r = the product over a in r of the public 1-way distributions `oneWays[a]` (one per domain
 * column, column order, recoded sizes; normalized here). The query carries the d 1-way tables,
 * never a table per candidate. L2 sensitivity 2·sqrt(#candidates) (see LocalQuery); `rho`-zCDP.
 * By the triangle inequality s[r] >= || M_r(D) - n p_r ||_1 - noise: the sum of local errors
 * over-estimates the global error when parties differ (heterogeneity). Model-based references
 * go through federatedConditionalL1Scores (empty conditions).
 */
export async function federatedL1Scores(
  oracle: FederatedOracle,
  candidates: readonly (readonly string[])[],
  oneWays: readonly Float64Array[],
  rho: number,
  label: string,
  recode?: readonly AttributeRecode[],
  samplingCorrection = false,
): Promise<{ scores: Float64Array; stddev: number }> {
  const normalizedOneWays = oneWays.map((r) => {
    let s = 0;
    for (let k = 0; k < r.length; k++) s += Math.max(0, r[k]);
    const out = new Float64Array(r.length);
    for (let k = 0; k < r.length; k++) out[k] = s > 0 ? Math.max(0, r[k]) / s : 1 / r.length;
    return out;
  });
  const base = { kind: 'l1Scores' as const, candidates, oneWays: normalizedOneWays, ...(samplingCorrection ? { samplingCorrection: true } : {}) };
  const query = recode && recode.length > 0 ? { ...base, recode } : base;
  const res = await oracle.secureSum(query, rho, label);
  return { scores: res.values, stddev: res.stddev };
}
