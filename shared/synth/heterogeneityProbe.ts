// heterogeneityProbe: one release of every column's summed local deviation from the consortium's
// 1-way distribution; names the column the parties are most skewed on, if any is significant.
import type { FederatedOracle } from './FederatedOracle.js';
import type { AttributeRecode } from './LocalQuery.js';
import { federatedL1Scores } from './federatedL1Scores.js';

/**
 * Releases h[a] = sum_i round(|| c_i(a) − n_i p_a ||_1 − sum_x g(n_i p_a(x))) + noise for every
 * column a (`l1Scores` on singletons with sampling correction: L2 sensitivity 3·sqrt(d),
 * `rho`-zCDP; p_a = `oneWays[a]`, public): how unevenly a is spread over the parties beyond the
 * sampling floor of IID parties (the AIM epoch schedule's probe, docs/synthesis.md). Returns the
 * column with the largest h above 3 noise stddevs (one-sided false-positive rate ~1e-3 per column
 * under IID parties), or undefined. Choosing it is post-processing.
 */
export async function heterogeneityProbe(
  oracle: FederatedOracle,
  oneWays: readonly Float64Array[],
  rho: number,
  label: string,
  recode?: readonly AttributeRecode[],
): Promise<string | undefined> {
  const attrs = oracle.domain.attrs;
  const probe = await federatedL1Scores(oracle, attrs.map((a) => [a]), oneWays, rho, label, recode, true);
  let best = -1;
  probe.scores.forEach((v, k) => {
    if (v > 3 * probe.stddev && (best < 0 || v > probe.scores[best])) best = k;
  });
  return best >= 0 ? attrs[best] : undefined;
}
