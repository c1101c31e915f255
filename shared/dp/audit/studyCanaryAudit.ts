// studyCanaryAudit: an empirical lower bound on the epsilon of a WHOLE study (federated MST or AIM at small
// scale: every release and selection, composition included), from one canary record at one simulated party.
import { Domain } from '../../pgm/Domain.js';
import type { GraphicalModel } from '../../pgm/GraphicalModel.js';
import { EncodedTable } from '../../data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../data/InMemoryMarginalSource.js';
import { InProcessOracle } from '../../synth/InProcessOracle.js';
import { mst } from '../../synth/Mst.js';
import { aim } from '../../synth/Aim.js';
import { rhoFromEpsilon } from '../accounting/cdpConversion.js';
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { epsilonLowerBound, type ThresholdCounts } from './epsilonLowerBound.js';
import type { CanaryAuditResult } from './canaryAudit.js';
import type { FederatedOracle } from '../../synth/FederatedOracle.js';
import { RecordingOracle, canaryTranscriptScore } from './canaryTranscript.js';

export type AuditedMechanism = 'mst' | 'aim';

export interface StudyCanaryAuditOptions {
  /** The claim audited: the whole study is run at rho = rhoFromEpsilon(epsilon, delta). */
  readonly epsilon: number;
  readonly delta: number;
  readonly mechanism: AuditedMechanism;
  /** Independent studies (default 2000); even-numbered ones hold the canary. */
  readonly runs?: number;
  /** Simulated parties (default 3); the canary is at party 0. */
  readonly parties?: number;
  /** Columns of the table (default 3, at most 6: the score reads the model's full joint). */
  readonly columns?: number;
  /** Background rows per party (default 100). */
  readonly backgroundRows?: number;
  /** Estimator iterations of every fit (default 100: the audit needs many runs, not the best fit). */
  readonly iters?: number;
  /** What the attack reads (default `transcript`, the stronger; `model` is the black-box attack on the output only). */
  readonly attack?: StudyAuditAttack;
  readonly confidence?: number;
  /** Seed for the noise (`<seed>/run/<r>`); omitted = CSPRNG. */
  readonly seed?: string;
  readonly onRun?: (done: number, runs: number) => void;
}

/** The release audit's bound fields (same meaning), and what is particular to a whole-study audit. */
export interface StudyCanaryAuditResult
  extends Pick<
    CanaryAuditResult,
    'claimedEpsilon' | 'delta' | 'rho' | 'epsilonLowerBound' | 'confidence' | 'runs' | 'trialsWith' | 'trialsWithout' | 'parties' | 'columns' | 'attack' | 'thresholdsTested' | 'threshold' | 'fpr' | 'fnr' | 'fprUpper' | 'fnrUpper'
  > {
  readonly mechanism: AuditedMechanism;
  readonly attackRead: StudyAuditAttack;
  readonly backgroundRows: number;
  readonly iters: number;
  /** Mean score without and with the canary (model: the output's expected count of the canary's cell; transcript: z). */
  readonly meanScoreWithout: number;
  readonly meanScoreWith: number;
  readonly seconds: number;
}

/** Background codes per column; code BACKGROUND_CODES is the canary's, held by no other record. */
export const BACKGROUND_CODES = 4;

/** The attack: on the released noisy marginals (canaryTranscript.ts, default) or on the output model only. */
export type StudyAuditAttack = 'transcript' | 'model';

const MODEL_ATTACK = "canary present iff the output model's expected count of the canary's cell >= t (t on a fixed grid of 64, union bound)";
const TRANSCRIPT_ATTACK =
  "canary present iff z >= t, z the inverse-variance sum of the canary cell's residuals over every released noisy marginal, standardised (Neyman-Pearson on those cells); t on a fixed grid of 64, union bound";
const MAX_COLUMNS = 6;

/**
 * The threshold grid, fixed before any run and from nothing the runs produce: 64 points
 * 2^(k/4 - 10), k = 0..63 (about 0.001 .. 54 records), covering the canary cell's expected count in
 * the output from "indistinguishable from empty" to "many copies".
 */
export const STUDY_AUDIT_THRESHOLDS: readonly number[] = Array.from({ length: 64 }, (_, k) => 2 ** (k / 4 - 10));

/**
 * The transcript attack's grid, fixed before any run: z = k / 7, k = 0..63 (0 .. 9 standard
 * deviations of the statistic; its shift is sqrt(I) <= sqrt(2 rho), at most 1.6 here even with the
 * noise scale halved, and the most informative thresholds lie a few deviations above it).
 */
export const STUDY_TRANSCRIPT_THRESHOLDS: readonly number[] = Array.from({ length: 64 }, (_, k) => k / 7);

/**
 * A black-box audit of the whole mechanism (Jagielski, Ullman, Oprea 2020; Nasr et al. 2021): each
 * run is a complete study on a fresh InProcessOracle (per-party planned exact discrete Gaussian
 * shares, summed; every release MST or AIM makes, selection releases and domain compression
 * included) over `parties` parties of `backgroundRows` rows each on BACKGROUND_CODES codes per
 * column with planted dependence. In even runs party 0 also holds the canary: one record with code
 * BACKGROUND_CODES in every column, a cell no other record touches. Runs are independent (fresh
 * noise), so each is one trial of the neighbouring pair (without / with the canary) under the whole
 * study's claim. Attack `transcript` (default) reads the released noisy marginals, all of which the
 * claim covers (canaryTranscriptScore: the likelihood-ratio statistic of the canary's cells),
 * thresholded on STUDY_TRANSCRIPT_THRESHOLDS. Attack `model` sees only the output, the fitted model
 * that sampling draws from: its score is the expected count of the canary's full cell in the
 * synthetic data (for MST through domain compression: the merged cell's mass spread uniformly over
 * its merged values, as decompression samples), thresholded on STUDY_AUDIT_THRESHOLDS.
 * epsilonLowerBound turns the error counts into a bound (Clopper-Pearson, union bound over the
 * grid). With one trial per run the bound is weak (docs/privacy.md states what it can show);
 * studyCanaryAuditExact draws millions of trials of the transcript statistic where that is exact.
 */
export async function studyCanaryAudit(opts: StudyCanaryAuditOptions): Promise<StudyCanaryAuditResult> {
  const started = Date.now();
  const epsilon = checkPrivacyNumber(opts.epsilon, 'epsilon', true);
  const delta = opts.delta;
  if (!(delta > 0 && delta < 1)) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `delta must be in (0, 1), got ${delta}`);
  if (opts.mechanism !== 'mst' && opts.mechanism !== 'aim') throw new FedsynthError(ErrorCode.InvalidArgument, `mechanism must be mst or aim, got ${String(opts.mechanism)}`);
  const runs = positiveInt(opts.runs ?? 2000, 'runs');
  if (runs < 2) throw new FedsynthError(ErrorCode.InvalidArgument, `runs must be at least 2 (one with, one without the canary), got ${runs}`);
  const parties = positiveInt(opts.parties ?? 3, 'parties');
  const columns = positiveInt(opts.columns ?? 3, 'columns');
  if (columns < 2 || columns > MAX_COLUMNS) throw new FedsynthError(ErrorCode.InvalidArgument, `columns must be in 2..${MAX_COLUMNS}, got ${columns}`);
  const backgroundRows = positiveInt(opts.backgroundRows ?? 100, 'backgroundRows');
  const iters = positiveInt(opts.iters ?? 100, 'iters');
  const confidence = opts.confidence ?? 0.95;
  const rho = rhoFromEpsilon(epsilon, delta);

  const { domain, attrs, parties: sources, background } = studyAuditTables(columns, parties, backgroundRows);
  const attack = opts.attack ?? 'transcript';
  if (attack !== 'transcript' && attack !== 'model') throw new FedsynthError(ErrorCode.InvalidArgument, `attack must be transcript or model, got ${String(attack)}`);

  const scoresWith: number[] = [];
  const scoresWithout: number[] = [];
  for (let r = 0; r < runs; r++) {
    const inserted = r % 2 === 0;
    const inner = new InProcessOracle({ domain, parties: sources(inserted), seed: opts.seed === undefined ? undefined : `${opts.seed}/run/${r}` });
    const oracle = new RecordingOracle(inner);
    const model = opts.mechanism === 'mst' ? await mstScore(oracle, rho, iters, attrs) : canaryCellCount((await aim(oracle, { rho, iters })).model, attrs, () => BACKGROUND_CODES, () => 1);
    const score = attack === 'model' ? model : canaryTranscriptScore(oracle.released, background, BACKGROUND_CODES).z;
    (inserted ? scoresWith : scoresWithout).push(score);
    opts.onRun?.(r + 1, runs);
    // A study awaits only microtasks: yield to the event loop between studies so that timers and
    // I/O (a test runner's RPC, a CLI's progress) are served during a long audit.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }

  const bound = scoreBound(attack === 'model' ? STUDY_AUDIT_THRESHOLDS : STUDY_TRANSCRIPT_THRESHOLDS, Float64Array.from(scoresWithout), Float64Array.from(scoresWith), delta, confidence);
  return {
    claimedEpsilon: epsilon,
    delta,
    rho,
    mechanism: opts.mechanism,
    attackRead: attack,
    runs,
    parties,
    columns,
    backgroundRows,
    iters,
    attack: attack === 'model' ? MODEL_ATTACK : TRANSCRIPT_ATTACK,
    ...bound,
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * The audited table: `parties` parties of `backgroundRows` rows on BACKGROUND_CODES codes per column,
 * with dependence between columns (so selection has something to choose): row r of party p has code
 * (r (j + 1) + floor(r / 4) + p) mod B in column j; `parties(true)` adds the canary (code B in every
 * column, a cell no other record touches) at party 0. `background` holds every party's rows without it.
 */
export function studyAuditTables(
  columns: number,
  parties: number,
  backgroundRows: number,
): { domain: Domain; attrs: string[]; parties: (withCanary: boolean) => InMemoryMarginalSource[]; background: EncodedTable[] } {
  const attrs = Array.from({ length: columns }, (_, j) => `c${j}`);
  const domain = new Domain(attrs, attrs.map(() => BACKGROUND_CODES + 1));
  const table = (party: number, canary: boolean): EncodedTable =>
    new EncodedTable(
      domain,
      attrs.map((_, j) =>
        Uint16Array.from({ length: backgroundRows + (canary ? 1 : 0) }, (_, r) => (r < backgroundRows ? (r * (j + 1) + (r >> 2) + party) % BACKGROUND_CODES : BACKGROUND_CODES)),
      ),
    );
  const background = Array.from({ length: parties }, (_, p) => table(p, false));
  const others = background.slice(1).map((t) => new InMemoryMarginalSource(t));
  const withCanary = new InMemoryMarginalSource(table(0, true));
  const withoutCanary = new InMemoryMarginalSource(background[0]);
  return { domain, attrs, parties: (inserted) => [inserted ? withCanary : withoutCanary, ...others], background };
}

async function mstScore(oracle: FederatedOracle, rho: number, iters: number, attrs: readonly string[]): Promise<number> {
  const r = await mst(oracle, { rho, iters });
  const recode = new Map(r.compression.recode.map((c) => [c.attr, c]));
  const code = (a: string): number => recode.get(a)?.map[BACKGROUND_CODES] ?? BACKGROUND_CODES;
  // Decompression draws a merged value uniformly among the values merged with it.
  const share = (a: string): number => {
    const c = recode.get(a);
    if (c === undefined) return 1;
    const target = c.map[BACKGROUND_CODES];
    return 1 / c.map.filter((v) => v === target).length;
  };
  return canaryCellCount(r.model, attrs, code, share);
}

/** The model's expected count of the canary's cell (code per column), times the decompression shares. */
function canaryCellCount(model: GraphicalModel, attrs: readonly string[], code: (a: string) => number, share: (a: string) => number): number {
  const joint = model.project(attrs);
  const shape = attrs.map((a) => model.domain.sizeOf(a));
  let index = 0;
  for (let j = 0; j < attrs.length; j++) index = index * shape[j] + code(attrs[j]);
  let s = joint[index];
  for (const a of attrs) s *= share(a);
  return s;
}

/** The bound's fields of a result, from each side's scores ("present" iff score >= t, t on `thresholds`). */
export function scoreBound(
  thresholds: readonly number[],
  without: Float64Array,
  withCanary: Float64Array,
  delta: number,
  confidence: number,
): Pick<StudyCanaryAuditResult, 'epsilonLowerBound' | 'confidence' | 'trialsWith' | 'trialsWithout' | 'thresholdsTested' | 'threshold' | 'fpr' | 'fnr' | 'fprUpper' | 'fnrUpper' | 'meanScoreWithout' | 'meanScoreWith'> {
  const sortedWithout = without.slice().sort();
  const sortedWith = withCanary.slice().sort();
  const atLeast = (sorted: Float64Array, t: number): number => sorted.length - lowerBound(sorted, t);
  const grid: ThresholdCounts[] = thresholds.map((t) => ({ threshold: t, falsePositives: atLeast(sortedWithout, t), falseNegatives: sortedWith.length - atLeast(sortedWith, t) }));
  const lb = epsilonLowerBound(grid, without.length, withCanary.length, delta, confidence);
  const mean = (a: Float64Array): number => a.reduce((x, y) => x + y, 0) / a.length;
  return {
    epsilonLowerBound: lb.epsilon,
    confidence,
    trialsWith: withCanary.length,
    trialsWithout: without.length,
    thresholdsTested: grid.length,
    threshold: lb.threshold,
    fpr: lb.fpr,
    fnr: lb.fnr,
    fprUpper: lb.fprUpper,
    fnrUpper: lb.fnrUpper,
    meanScoreWithout: mean(without),
    meanScoreWith: mean(withCanary),
  };
}

/** First index i with sorted[i] >= t. */
function lowerBound(sorted: Float64Array, t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `${name} must be an integer >= 1, got ${v}`);
  return v;
}
