// studyCanaryAuditExact: the whole-study MST (or fixed-batch AIM) audit with millions of trials, by drawing exactly the
// noise of the releases that touch the canary's cells (their profile taken from real studies), then the transcript attack.
import { InProcessOracle, type RhoCharge } from '../../synth/InProcessOracle.js';
import { mst } from '../../synth/Mst.js';
import { aim } from '../../synth/Aim.js';
import { planDistributedDiscreteGaussian } from '../mechanisms/distributedDiscreteGaussian.js';
import { seededRandomSource, cryptoRandomSource, type RandomSource } from '../random/RandomSource.js';
import { rhoFromEpsilon } from '../accounting/cdpConversion.js';
import { checkPrivacyNumber } from '../accounting/checkPrivacyNumber.js';
import { FedsynthError, ErrorCode } from '../../errors/FedsynthError.js';
import { RecordingOracle, canaryTranscriptScore } from './canaryTranscript.js';
import { BACKGROUND_CODES, STUDY_TRANSCRIPT_THRESHOLDS, positiveInt, scoreBound, studyAuditTables, type StudyCanaryAuditResult } from './studyCanaryAudit.js';

/** One release of noisy marginals in a study, as every party charged it, and how many of its cells hold the canary. */
export interface CanaryRelease {
  readonly label: string;
  readonly rho: number;
  readonly l2Sensitivity: number;
  /** Released marginals (each holds the canary's cell exactly once) and their summed noise stddev. */
  readonly cells: number;
  readonly stddev: number;
}

export interface StudyCanaryAuditExactOptions {
  readonly epsilon: number;
  readonly delta: number;
  /**
   * `mst`, or `aim` run with EXACT_AIM_OPTIONS (one marginal per epoch, no pruning): the studies
   * whose releases of counts are fixed by their budget schedule (below). Default AIM's batches adapt
   * to the data, so its noise per cell does too: it is not auditable this way.
   */
  readonly mechanism: 'mst' | 'aim';
  /** Trials per side (default 1,000,000). */
  readonly trials?: number;
  /** Real studies run to read the profile and check that it is the same with and without the canary (default 4). */
  readonly profileStudies?: number;
  readonly parties?: number;
  readonly columns?: number;
  readonly backgroundRows?: number;
  readonly iters?: number;
  readonly confidence?: number;
  readonly seed?: string;
  /** Return every trial's z in the result (for tests of the distribution; default false). */
  readonly keepScores?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

/** AIM as the exact audit runs it: one marginal per epoch, no pruning (annealing off, the default). */
export const EXACT_AIM_OPTIONS = { maxBatch: 1, prune: false, annealing: false } as const;

export interface StudyCanaryAuditExactResult extends Omit<StudyCanaryAuditResult, 'attackRead' | 'runs'> {
  /** The options the audited mechanism ran with beyond rho and iters (AIM: EXACT_AIM_OPTIONS). */
  readonly mechanismOptions: Readonly<Record<string, number | boolean>>;
  /** The releases that touch the canary's cells, read from the real studies (identical in each). */
  readonly profile: readonly CanaryRelease[];
  readonly profileStudies: number;
  /** I = sum over the profile of cells / stddev^2: the statistic's mean shift is sqrt(I). */
  readonly information: number;
  /** With keepScores: every trial's z. */
  readonly scoresWith?: Float64Array;
  readonly scoresWithout?: Float64Array;
}

const BATCH = 20_000;

/**
 * Why drawing only the canary's cells is exact for MST. The transcript attack (canaryTranscriptScore)
 * reads, from every released noisy marginal, the canary's cell minus its known background count:
 * that cell's summed per-party discrete Gaussian noise, plus 1 with the canary. MST (Mst.ts) releases
 * counts twice, whatever the data: every 1-way marginal at rho/3 (L2 sensitivity sqrt(d)) and the d-1
 * edges of its tree at rho/3 (sqrt(d-1)); the canary holds a value in every column, so whichever
 * tree is selected and however the domain is compressed, each of these d + d-1 marginals has exactly
 * one cell with the canary. Each cell's noise is fresh: drawn independently of every earlier release
 * and of the choice of the tree (which only decides WHICH marginals those cells belong to). So the
 * residuals are 2d-1 independent sums of per-party N_Z(0, sigma_k^2) plus 0 or 1, sigma_k fixed by the
 * plan, and z has exactly the distribution obtained by drawing them with the same planned mechanism
 * (planDistributedDiscreteGaussian, the sampler every party runs) and nothing else. The profile (the
 * charges of the `marginals` releases, their cell counts and stddevs) is read from `profileStudies`
 * real studies, half with the canary, and must be identical in all; the plan's stddev must equal the
 * one the studies reported. Each trial is then independent, and the bound is epsilonLowerBound's.
 *
 * AIM with EXACT_AIM_OPTIONS (aimEpochs) releases counts in a fixed schedule too: the d 1-way marginals
 * at a rho fixed by T and rho, then in each of its K epochs exactly one marginal (maxBatch 1) at
 * rho_meas = (1 - selectionShare) R / K, R what the fixed 1-way and probe charges leave (every epoch gets
 * R / K; annealing, off, is the only thing that would change it). An epoch ends the study early only
 * when no candidate is left: without pruning the candidates are the whole workload, and every one
 * fits the model-size limit on these tables (at most 6 columns of 5 codes: 125 KB at most, the limit
 * 2 MB times the share of rho spent, at least 0.38 in epoch 1). Which marginal is chosen adapts to the
 * data; each holds the canary's cell once, so the argument above applies unchanged.
 */
export async function studyCanaryAuditExact(opts: StudyCanaryAuditExactOptions): Promise<StudyCanaryAuditExactResult> {
  const started = Date.now();
  const epsilon = checkPrivacyNumber(opts.epsilon, 'epsilon', true);
  const delta = opts.delta;
  if (!(delta > 0 && delta < 1)) throw new FedsynthError(ErrorCode.InvalidPrivacyParameter, `delta must be in (0, 1), got ${delta}`);
  if (opts.mechanism !== 'mst' && opts.mechanism !== 'aim') throw new FedsynthError(ErrorCode.InvalidArgument, `mechanism must be mst or aim, got ${String(opts.mechanism)}`);
  const trials = positiveInt(opts.trials ?? 1_000_000, 'trials');
  const profileStudies = positiveInt(opts.profileStudies ?? 4, 'profileStudies');
  if (profileStudies < 2) throw new FedsynthError(ErrorCode.InvalidArgument, `profileStudies must be at least 2 (with and without the canary), got ${profileStudies}`);
  const parties = positiveInt(opts.parties ?? 3, 'parties');
  const columns = positiveInt(opts.columns ?? 3, 'columns');
  if (columns < 2 || columns > 6) throw new FedsynthError(ErrorCode.InvalidArgument, `columns must be in 2..6, got ${columns}`);
  const backgroundRows = positiveInt(opts.backgroundRows ?? 100, 'backgroundRows');
  const iters = positiveInt(opts.iters ?? 100, 'iters');
  const confidence = opts.confidence ?? 0.95;
  const rho = rhoFromEpsilon(epsilon, delta);
  const { domain, parties: sources, background } = studyAuditTables(columns, parties, backgroundRows);

  // 1. The profile, from real studies; every one must give the same.
  let profile: CanaryRelease[] | undefined;
  for (let s = 0; s < profileStudies; s++) {
    const charges: RhoCharge[] = [];
    const oracle = new RecordingOracle(
      new InProcessOracle({ domain, parties: sources(s % 2 === 0), seed: opts.seed === undefined ? undefined : `${opts.seed}/profile/${s}`, onCharge: (c) => charges.push(c) }),
    );
    if (opts.mechanism === 'mst') await mst(oracle, { rho, iters });
    else await aim(oracle, { rho, iters, ...EXACT_AIM_OPTIONS });
    const p = charges
      .filter((c) => c.kind === 'marginals')
      .map((c) => {
        const released = oracle.released.filter((m) => m.label === c.label);
        return { label: c.label, rho: c.rho, l2Sensitivity: c.l2Sensitivity, cells: released.length, stddev: released[0]?.measurement.stddev ?? 0 };
      });
    // The transcript score of this real study must be the sum over this profile (nothing else released counts).
    if (canaryTranscriptScore(oracle.released, background, BACKGROUND_CODES).marginals !== p.reduce((n, r) => n + r.cells, 0)) {
      throw new FedsynthError(ErrorCode.Internal, 'studyCanaryAuditExact: released marginals outside the recorded charges');
    }
    if (profile === undefined) profile = p;
    else if (JSON.stringify(p) !== JSON.stringify(profile)) {
      throw new FedsynthError(ErrorCode.Internal, "studyCanaryAuditExact: the study's releases of counts differ between studies; the fast audit is not exact here", { first: profile, study: s, got: p });
    }
    opts.onProgress?.(s + 1, profileStudies + 2 * trials);
  }
  const releases = profile as CanaryRelease[];
  const plans = releases.map((r) => {
    const plan = planDistributedDiscreteGaussian({ rho: r.rho, l2Sensitivity: r.l2Sensitivity, parties, colluders: 0, dropouts: 0 });
    if (Math.sqrt(plan.sumSigma2(parties)) !== r.stddev) throw new FedsynthError(ErrorCode.Internal, `studyCanaryAuditExact: the plan's stddev differs from the one ${r.label} reported`);
    return plan;
  });
  const information = releases.reduce((a, r) => a + r.cells / (r.stddev * r.stddev), 0);

  // 2. Trials: the canary's cells only, with the same per-party mechanism and streams of their own.
  const rng = (side: string, p: number): RandomSource => (opts.seed === undefined ? cryptoRandomSource() : seededRandomSource(opts.seed, `exact/${side}/party/${p}`));
  const draw = async (inserted: boolean): Promise<Float64Array> => {
    const rngs = Array.from({ length: parties }, (_, p) => rng(inserted ? 'with' : 'without', p));
    const z = new Float64Array(trials);
    for (let from = 0; from < trials; from += BATCH) {
      const n = Math.min(BATCH, trials - from);
      releases.forEach((r, k) => {
        const w = 1 / (r.stddev * r.stddev * Math.sqrt(information));
        for (let p = 0; p < parties; p++) {
          const noisy = plans[k].invoke(new Float64Array(n * r.cells).fill(inserted && p === 0 ? 1 : 0), rngs[p]);
          for (let i = 0; i < noisy.length; i++) z[from + Math.floor(i / r.cells)] += noisy[i] * w;
        }
      });
      opts.onProgress?.(profileStudies + (inserted ? trials : 0) + from + n, profileStudies + 2 * trials);
      // Yield to the event loop between batches so that timers and I/O (a test runner's RPC, a
      // CLI's progress) are served during a long audit.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return z;
  };
  const without = await draw(false);
  const withC = await draw(true);

  const bound = scoreBound(STUDY_TRANSCRIPT_THRESHOLDS, without, withC, delta, confidence);
  return {
    claimedEpsilon: epsilon,
    delta,
    rho,
    mechanism: opts.mechanism,
    mechanismOptions: opts.mechanism === 'aim' ? EXACT_AIM_OPTIONS : {},
    parties,
    columns,
    backgroundRows,
    iters,
    attack:
      "canary present iff z >= t, z the inverse-variance sum of the canary cell's residuals over every released noisy marginal, standardised; the canary's cells drawn exactly (profile from real studies); t on a fixed grid of 64, union bound",
    ...bound,
    profile: releases,
    profileStudies,
    information,
    ...(opts.keepScores === true ? { scoresWith: withC, scoresWithout: without } : {}),
    seconds: (Date.now() - started) / 1000,
  };
}
