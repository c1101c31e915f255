// federatedPairDependenceScores: noisy sums over parties of each party's within-party dependence of
// every candidate pair (L1 distance to the independence model of its own 1-way counts).
import type { FederatedOracle } from './FederatedOracle.js';
import type { AttributeRecode, LocalQuery } from './LocalQuery.js';

/**
 * Releases s[r] = sum_i round(|| M_ab(D_i) − c_i(a) ⊗ c_i(b) / n_i ||_1 [− floor_i]) + noise for
 * every pair r = {a, b} (LocalQuery `pairDependenceScores`, sensitivity 4·sqrt(#pairs), 8·sqrt
 * with `samplingCorrection`), `rho`-zCDP. Each party's reference is built from its own marginals,
 * so a party whose marginals differ from the consortium's (skew on any column) adds no spurious
 * dependence. With `anchor` (the column the parties are skewed on), pairs {anchor, b} keep the
 * consortium's p_b (`reference[k]`), so their between-party dependence is not lost.
 */
export async function federatedPairDependenceScores(
  oracle: FederatedOracle,
  pairs: readonly (readonly string[])[],
  rho: number,
  label: string,
  recode: readonly AttributeRecode[] | undefined,
  samplingCorrection: boolean,
  anchor?: { readonly attr: string; readonly reference: readonly (readonly number[])[] },
): Promise<{ scores: Float64Array; stddev: number }> {
  const query: LocalQuery = {
    kind: 'pairDependenceScores',
    candidates: pairs,
    ...(anchor ? { anchor: anchor.attr, anchorReference: anchor.reference } : {}),
    ...(recode && recode.length > 0 ? { recode } : {}),
    ...(samplingCorrection ? { samplingCorrection: true } : {}),
  };
  const res = await oracle.secureSum(query, rho, label);
  return { scores: res.values, stddev: res.stddev };
}
