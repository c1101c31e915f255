// canaryAudit: an empirical lower bound on the epsilon of fedsynth's first study release (every 1-way
// marginal through the federated oracle, exact distributed discrete Gaussian noise), from inserted canaries.
import { Domain } from '../../pgm/Domain.js';
import { EncodedTable } from '../../data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../data/InMemoryMarginalSource.js';
import { InProcessOracle } from '../../synth/InProcessOracle.js';
import { epsilonFromRho, rhoFromEpsilon } from '../accounting/cdpConversion.js';
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { epsilonLowerBound, type ThresholdCounts } from './epsilonLowerBound.js';

export interface CanaryAuditOptions {
  /** The claim audited: the release is made at rho = rhoFromEpsilon(epsilon, delta). */
  readonly epsilon: number;
  readonly delta: number;
  /** Independent study runs (default 200). */
  readonly runs?: number;
  /** Canaries per run, each in its own otherwise empty cell; half are inserted in each run (default 1000). */
  readonly canaries?: number;
  /** Simulated parties (default 3); the canaries are all at party 0. */
  readonly parties?: number;
  /** Columns of the table (default 2); every one is measured. */
  readonly columns?: number;
  /**
   * Records per canary (default 1). With k > 1 the canary is k identical records and the audited
   * claim is the group guarantee: k^2 rho-zCDP (Bun and Steinke 2016, Prop. 27) at the same delta.
   */
  readonly group?: number;
  /** Background rows per party (default 40), on codes 0..backgroundCodes-1 only. */
  readonly backgroundRows?: number;
  readonly confidence?: number;
  /** Seed for the noise (`<seed>/run/<r>`); omitted = CSPRNG. */
  readonly seed?: string;
  /** Progress callback after each run. */
  readonly onRun?: (done: number, runs: number) => void;
}

export interface CanaryAuditResult {
  /** The epsilon the lower bound is compared with: per record (group 1) or of a group of `group` records. */
  readonly claimedEpsilon: number;
  /** The per-record epsilon of the release, and the canary's size in records. */
  readonly recordEpsilon: number;
  readonly group: number;
  readonly delta: number;
  readonly rho: number;
  readonly epsilonLowerBound: number;
  readonly confidence: number;
  readonly runs: number;
  readonly canariesPerRun: number;
  readonly trialsWith: number;
  readonly trialsWithout: number;
  readonly parties: number;
  readonly columns: number;
  /** Stddev of the summed noise on each cell (from the oracle's measurement). */
  readonly noiseStddev: number;
  readonly mechanism: string;
  readonly attack: string;
  readonly thresholdsTested: number;
  readonly threshold: number;
  readonly fpr: number;
  readonly fnr: number;
  readonly fprUpper: number;
  readonly fnrUpper: number;
}

const BACKGROUND_CODES = 2;

/**
 * The audit (Jagielski, Ullman, Oprea 2020; Nasr et al. 2021), made cheap with many canaries per run
 * (as Steinke, Nasr, Jagielski 2023, "Privacy Auditing with One (1) Training Run", but with exact
 * independence): column j has BACKGROUND_CODES background codes and one code per canary; canary i is
 * a record with code B+i in every column (`group` copies of it), held by party 0, and is inserted
 * in run r iff i + r is even. Each run measures every 1-way marginal at rho through a fresh InProcessOracle (the release
 * MST and AIM start with: per-party planned exact discrete Gaussian shares, summed). A canary's
 * cells are touched by no other record, and each cell's noise is an independent sum of per-party
 * draws, so each canary in each run is an independent trial of the same neighbouring pair
 * (without / with that one record) under the whole release's guarantee. The attack scores a trial
 * by the sum of the canary's noisy cells (the Neyman-Pearson test for the mean shift of a Gaussian)
 * and says "present" iff score >= t, for a grid of integer t fixed from the claim before any run.
 */
export async function canaryAudit(opts: CanaryAuditOptions): Promise<CanaryAuditResult> {
  const epsilon = checkPrivacyNumber(opts.epsilon, 'epsilon', true);
  const delta = opts.delta;
  if (!(delta > 0 && delta < 1)) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `delta must be in (0, 1), got ${delta}`);
  const runs = positiveInt(opts.runs ?? 200, 'runs');
  const canaries = positiveInt(opts.canaries ?? 1000, 'canaries');
  if (canaries > 65534 - BACKGROUND_CODES) throw new FedsynthError(ErrorCode.InvalidArgument, `canaries must be at most ${65534 - BACKGROUND_CODES}, got ${canaries}`);
  const parties = positiveInt(opts.parties ?? 3, 'parties');
  const columns = positiveInt(opts.columns ?? 2, 'columns');
  const group = positiveInt(opts.group ?? 1, 'group');
  const backgroundRows = positiveInt(opts.backgroundRows ?? 40, 'backgroundRows');
  const confidence = opts.confidence ?? 0.95;
  const rho = rhoFromEpsilon(epsilon, delta);

  const attrs = Array.from({ length: columns }, (_, j) => `c${j}`);
  const domain = new Domain(attrs, attrs.map(() => BACKGROUND_CODES + canaries));
  const background = (rows: number, extra: readonly number[]): EncodedTable =>
    new EncodedTable(
      domain,
      attrs.map((_, j) => Uint16Array.from({ length: rows + extra.length }, (_, r) => (r < rows ? (r + j) % BACKGROUND_CODES : BACKGROUND_CODES + extra[r - rows]))),
    );
  const others = Array.from({ length: parties - 1 }, () => new InMemoryMarginalSource(background(backgroundRows, [])));

  // Threshold grid, fixed from the claim alone: the score's noise stddev at the claimed rho is
  // columns / sqrt(2 rho) (L2 sensitivity sqrt(columns)), its shift group * columns; integers
  // 1 .. shift + 6 stddevs, at most 64.
  const claimSd = columns / Math.sqrt(2 * rho);
  const top = Math.ceil(group * columns + 6 * claimSd);
  const step = Math.max(1, Math.ceil(top / 64));
  const thresholds: number[] = [];
  for (let t = 1; t <= top; t += step) thresholds.push(t);

  const scoresWith: number[] = [];
  const scoresWithout: number[] = [];
  let noiseStddev = 0;
  for (let r = 0; r < runs; r++) {
    const inserted: number[] = [];
    for (let i = 0; i < canaries; i++) if ((i + r) % 2 === 0) for (let k = 0; k < group; k++) inserted.push(i);
    const party0 = new InMemoryMarginalSource(background(backgroundRows, inserted));
    const oracle = new InProcessOracle({ domain, parties: [party0, ...others], seed: opts.seed === undefined ? undefined : `${opts.seed}/run/${r}` });
    const ms = await oracle.measure(attrs.map((a) => [a]), rho, 'audit/oneway');
    noiseStddev = ms[0].stddev;
    for (let i = 0; i < canaries; i++) {
      let score = 0;
      for (const m of ms) score += m.values[BACKGROUND_CODES + i];
      ((i + r) % 2 === 0 ? scoresWith : scoresWithout).push(score);
    }
    opts.onRun?.(r + 1, runs);
  }

  const grid: ThresholdCounts[] = thresholds.map((t) => ({
    threshold: t,
    falsePositives: scoresWithout.filter((s) => s >= t).length,
    falseNegatives: scoresWith.filter((s) => s < t).length,
  }));
  const lb = epsilonLowerBound(grid, scoresWithout.length, scoresWith.length, delta, confidence);
  return {
    claimedEpsilon: group === 1 ? epsilon : epsilonFromRho(group * group * rho, delta),
    recordEpsilon: epsilon,
    group,
    delta,
    rho,
    epsilonLowerBound: lb.epsilon,
    confidence,
    runs,
    canariesPerRun: canaries,
    trialsWith: scoresWith.length,
    trialsWithout: scoresWithout.length,
    parties,
    columns,
    noiseStddev,
    mechanism: 'every 1-way marginal (the first release of MST and AIM) through InProcessOracle: planned per-party exact discrete Gaussian shares, summed',
    attack: 'canary present iff the sum of its noisy cells >= t (Neyman-Pearson for a Gaussian mean shift); t on a grid fixed before the runs, union bound over it',
    thresholdsTested: thresholds.length,
    threshold: lb.threshold,
    fpr: lb.fpr,
    fnr: lb.fnr,
    fprUpper: lb.fprUpper,
    fnrUpper: lb.fnrUpper,
  };
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `${name} must be an integer >= 1, got ${v}`);
  return v;
}
