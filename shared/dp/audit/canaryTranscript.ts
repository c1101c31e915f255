// canaryTranscript: the study's released noisy marginals, recorded as the coordinator receives them, and the
// canary attack on them: inverse-variance sum of the canary cell's residuals (the Gaussian likelihood-ratio statistic).
import type { Domain } from '../../pgm/Domain.js';
import type { EncodedTable } from '../../data/EncodedTable.js';
import type { FederatedOracle, SecureSumResult } from '../../synth/FederatedOracle.js';
import { measureBySecureSum, measurementsFromSum } from '../../synth/FederatedOracle.js';
import type { AttributeRecode, LocalQuery } from '../../synth/LocalQuery.js';
import type { Measurement } from '../../pgm/Measurement.js';

/** One released noisy marginal: its cells (in the recoded domain of its release) and that recoding. */
export interface ReleasedMarginal {
  readonly label: string;
  readonly rho: number;
  readonly measurement: Measurement;
  readonly recode: readonly AttributeRecode[];
}

/**
 * A FederatedOracle that forwards everything to `inner` and records every released noisy marginal
 * (each `marginals` secure sum, whether asked through `measure` or `secureSum`): the part of the
 * study's transcript that carries counts of cells. Recording is post-processing of what the
 * coordinator already sees; it changes no release.
 */
export class RecordingOracle implements FederatedOracle {
  readonly released: ReleasedMarginal[] = [];

  constructor(private readonly inner: FederatedOracle) {}

  get domain(): Domain {
    return this.inner.domain;
  }

  async secureSum(query: LocalQuery, rho: number, label: string): Promise<SecureSumResult> {
    const sum = await this.inner.secureSum(query, rho, label);
    if (query.kind === 'marginals') {
      const recode = query.recode ?? [];
      for (const measurement of measurementsFromSum(this.inner.domain, query.attrSets, sum, recode)) this.released.push({ label, rho, measurement, recode });
    }
    return sum;
  }

  measure(attrSets: readonly (readonly string[])[], rho: number, label: string, recode?: readonly AttributeRecode[]): Promise<Measurement[]> {
    return measureBySecureSum(this, attrSets, rho, label, recode);
  }
}

/** The transcript statistic of one study, standardised by its own reported noise. */
export interface CanaryTranscriptScore {
  /** sum_m r_m / s_m^2 / sqrt(I): r_m the canary cell's noisy count minus its known background count. */
  readonly z: number;
  /** I = sum_m 1 / s_m^2 over the released marginals (each holds the canary's cell exactly once). */
  readonly information: number;
  readonly marginals: number;
}

/**
 * The attack on the transcript. Every released marginal over attribute set A has exactly one cell
 * holding the canary (its code `canaryCode` in every column, mapped through the release's
 * recoding); the auditor knows every background row, so r_m = y_m[cell] - background(cell) is that
 * cell's summed noise plus 1 with the canary, plus 0 without. For independent Gaussian noise of
 * stddev s_m the log likelihood ratio of "with" against "without" is sum_m (r_m - 1/2) / s_m^2, so
 * thresholding z = sum_m r_m / s_m^2 / sqrt(I) is the Neyman-Pearson test on these cells (its mean
 * shift is sqrt(I)). Marginals not containing the canary's cell (none here) and selection releases
 * are ignored: ignoring part of the output is post-processing, so any bound stays valid.
 */
export function canaryTranscriptScore(released: readonly ReleasedMarginal[], background: readonly EncodedTable[], canaryCode: number): CanaryTranscriptScore {
  const domain = background[0].domain;
  let weighted = 0;
  let information = 0;
  for (const { measurement: m, recode } of released) {
    const byAttr = new Map(recode.map((r) => [r.attr, r]));
    const code = (a: string, c: number): number => byAttr.get(a)?.map[c] ?? c;
    let index = 0;
    for (const a of m.attrs) index = index * (byAttr.get(a)?.size ?? domain.sizeOf(a)) + code(a, canaryCode);
    const cols = m.attrs.map((a) => domain.indexOf(a));
    let bg = 0;
    for (const t of background) {
      for (let r = 0; r < t.rowCount; r++) {
        let inCell = true;
        for (let k = 0; k < cols.length && inCell; k++) inCell = code(m.attrs[k], t.columns[cols[k]][r]) === code(m.attrs[k], canaryCode);
        if (inCell) bg++;
      }
    }
    const w = 1 / (m.stddev * m.stddev);
    weighted += (m.values[index] - bg) * w;
    information += w;
  }
  return { z: information > 0 ? weighted / Math.sqrt(information) : 0, information, marginals: released.length };
}
