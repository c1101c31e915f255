// federatedL1Scores: noisy sums over parties of each party's L1 distance between its local
// marginal and a public model marginal (the AugFLAIM-style score path, via secure aggregation).
import type { FederatedOracle } from './FederatedOracle.js';
import type { AttributeRecode } from './LocalQuery.js';

/**
 * Releases s[r] = sum_i round(|| M_r(D_i) - n_i * p_r ||_1) + noise for every candidate r, where
 * p_r = `references[r]` (normalized by the party). L2 sensitivity 2·sqrt(#candidates) (see
 * LocalQuery); `rho`-zCDP. By the triangle inequality s[r] >= || M_r(D) - n p_r ||_1 - noise:
 * the sum of local errors over-estimates the global error when parties differ (heterogeneity).
 */
export async function federatedL1Scores(
  oracle: FederatedOracle,
  candidates: readonly (readonly string[])[],
  references: readonly Float64Array[],
  rho: number,
  label: string,
  recode?: readonly AttributeRecode[],
  samplingCorrection = false,
): Promise<{ scores: Float64Array; stddev: number }> {
  const reference = references.map((r) => {
    let s = 0;
    for (let k = 0; k < r.length; k++) s += Math.max(0, r[k]);
    const out = new Array<number>(r.length);
    for (let k = 0; k < r.length; k++) out[k] = s > 0 ? Math.max(0, r[k]) / s : 1 / r.length;
    return out;
  });
  const base = { kind: 'l1Scores' as const, candidates, reference, ...(samplingCorrection ? { samplingCorrection: true } : {}) };
  const query = recode && recode.length > 0 ? { ...base, recode } : base;
  const res = await oracle.secureSum(query, rho, label);
  return { scores: res.values, stddev: res.stddev };
}
