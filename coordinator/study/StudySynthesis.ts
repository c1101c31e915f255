// StudySynthesis: runs a study's mechanism at the coordinator — picks the round protocol for its
// aggregation mode, builds the ConsortiumOracle over the approved parties, fits and samples.
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { synthesisRho, type AggregationMode, type StudySpec } from '../../shared/study/StudySpec.js';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import type { CustodianGateway } from '../custodian/CustodianGateway.js';
import { peerIdentityFromCertificate } from '../../platform/pki/peerIdentityFromCertificate.js';
import type { RoundOutcome, RoundPlan } from '../rounds/RoundPlan.js';
import { runPlainRound } from '../rounds/PlainRound.js';
import { runMaskingRound } from '../rounds/MaskingRound.js';
import { runHeRound } from '../rounds/HeRound.js';
import { ConsortiumOracle, type ConsortiumOracleOptions, type ReleaseRecord } from './ConsortiumOracle.js';
import { PrivacyAccountant } from '../../shared/dp/accounting/PrivacyAccountant.js';
import { measureBySecureSum, measurementsFromSum, type FederatedOracle } from '../../shared/synth/FederatedOracle.js';
import type { Measurement } from '../../shared/pgm/Measurement.js';
import { localQuerySensitivity, type LocalQuery } from '../../shared/synth/LocalQuery.js';
import type { SinglingOutFamily } from '../../shared/eval/risk/pooledSinglingOut.js';
import { subgroupSets } from '../../shared/eval/pooledSubgroupFidelity.js';
import { runMechanismInWorker } from './MechanismThread.js';
import type { MechanismName, MechanismOutput } from './runMechanism.js';
import type { RoundObserver } from '../metrics/CoordinatorMetrics.js';

export interface StudySynthesisDeps {
  store: CoordinatorStore;
  gateway: AgentGateway;
  log: Logger;
  roundTimeoutMs: number;
  /** The key custodian's stream (he mode); without it he studies fail with SourceUnavailable. */
  custodian?: CustodianGateway;
  /** Extra round modes (masking, he) plug in here; plain is built in. */
  roundModes?: Partial<Record<AggregationMode, (plan: RoundPlan) => Promise<RoundOutcome>>>;
  /** Throws Cancelled when the operator cancelled the study. */
  checkCancelled(studyId: string): void;
  /** The parties that approved the study. */
  approvedParties(studyId: string): string[];
  /** Sees every round attempt (metrics). */
  rounds?: RoundObserver;
}

export interface StudySynthesis {
  domain: Domain;
  mechanism: MechanismName;
  out: MechanismOutput;
  /** What each release cost on the wire (run.json `releases`). */
  releases: ReleaseRecord[];
  /** Every noisy marginal measured on the study's own columns (asked or replayed), for the operator's report. */
  measured: Measurement[];
  /** Marginals measured on recoded (compressed) columns, not scored in the report. */
  measuredRecoded: number;
}

/**
 * The study's ConsortiumOracle: rounds in its aggregation mode over the approved, connected parties,
 * observed by the metrics; `budget` is what it may charge in all, `firstRoundIndex` where its journal
 * indices start (the post-delivery round has its own range: POOLED_RISK_ROUND_INDEX).
 */
function studyOracle(
  d: StudySynthesisDeps,
  studyId: string,
  spec: StudySpec,
  domain: Domain,
  o: { budgetRho: number; firstRoundIndex?: number; onRoundDone?: ConsortiumOracleOptions['onRoundDone'] },
): ConsortiumOracle {
  const { store, log } = d;
  const protocol = (plan: RoundPlan): Promise<RoundOutcome> => {
    const custom = d.roundModes?.[spec.aggregation];
    if (custom) return custom(plan);
    if (spec.aggregation === 'masking') return runMaskingRound(d.gateway, plan, log, signingKeyOfCertificate);
    if (spec.aggregation === 'he') {
      if (!d.custodian) throw new FedsynthError(ErrorCode.SourceUnavailable, 'this coordinator has no key-custodian gateway', { studyId });
      return runHeRound(d.gateway, d.custodian, plan, log, signingKeyOfCertificate, { minContributors: spec.minParties, study: { spec, parties: store.parties(studyId).map((p) => p.partyId) } });
    }
    return runPlainRound(d.gateway, plan, log);
  };
  const roundMode = async (plan: RoundPlan): Promise<RoundOutcome> => {
    const started = process.hrtime.bigint();
    const observe = (outcome: RoundOutcome | undefined) =>
      d.rounds?.observeRound({
        aggregation: spec.aggregation,
        durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
        queryBytes: plan.compute.query.length * plan.participants.length,
        participants: plan.participants.length,
        survivors: outcome?.survivors.length ?? 0,
        refusals: outcome?.refusals.length ?? 0,
        failed: outcome === undefined,
      });
    try {
      const outcome = await protocol(plan);
      observe(outcome);
      return outcome;
    } catch (e) {
      observe(undefined);
      throw e;
    }
  };
  return new ConsortiumOracle({
    studyId,
    domain,
    store,
    log,
    aggregation: spec.aggregation,
    neighbours: spec.neighbours,
    colluders: spec.colluders,
    dropouts: spec.dropouts,
    minParties: spec.minParties,
    maxSilosPerIndividual: Math.max(1, spec.maxSilosPerIndividual),
    roundTimeoutMs: d.roundTimeoutMs,
    participants: () => {
      d.checkCancelled(studyId);
      const online = new Set(d.gateway.onlineParties());
      return d.approvedParties(studyId).filter((p) => online.has(p));
    },
    approvedParties: () => d.approvedParties(studyId),
    maxRoundRetries: 3,
    reconnectWaitMs: Math.min(60_000, d.roundTimeoutMs),
    runRound: roundMode,
    budget: new PrivacyAccountant(o.budgetRho, { delta: spec.delta }),
    ...(o.firstRoundIndex !== undefined ? { firstRoundIndex: o.firstRoundIndex } : {}),
    ...(o.onRoundDone ? { onRoundDone: o.onRoundDone } : {}),
  });
}

/** The study's domain: its columns and sizes, in spec order. */
export function studyDomain(spec: StudySpec): Domain {
  return new Domain(
    spec.domain.map((c) => c.name),
    spec.domain.map((c) => c.size),
  );
}

/**
 * Called with each chunk of synthetic rows as the mechanism draws them (in order, one at a time),
 * with every marginal measured on the study's own columns (all measuring is done before sampling).
 */
export type SyntheticRowsSink = (chunk: Int32Array[], measured: readonly Measurement[], values?: (Float64Array | null)[]) => Promise<void> | void;

/**
 * Runs the study's rounds and mechanism, handing the synthetic rows to `onRows` chunk by chunk;
 * the study is in `fitting` when this returns.
 */
export async function synthesizeStudy(d: StudySynthesisDeps, studyId: string, spec: StudySpec, seed: string, onRows: SyntheticRowsSink): Promise<StudySynthesis> {
  const { store } = d;
  const domain = studyDomain(spec);
  const releases: ReleaseRecord[] = [];
  // The mechanism spends the study's rho less the pooled risk reservation (asked after delivery).
  const rho = synthesisRho(spec);
  const oracle = studyOracle(d, studyId, spec, domain, {
    budgetRho: rho,
    onRoundDone: (index, label, replayed, wire) => {
      releases.push({ index, label, replayed, queryBytesPerParty: wire.queryBytes, answerEntries: wire.entries });
      const cur = store.getStudy(studyId);
      // dpsgd's rounds are charged in RDP at the parties (rhoSpent covers only its row count): its
      // progress is the gradient round's (onRound below), kept here so the bar never moves back.
      const progress = spec.mechanism === 'dpsgd' ? cur.progress : Math.min(0.95, (0.9 * cur.rhoSpent) / spec.rho);
      store.setProgress(studyId, progress, `round ${index + 1} (${label}) done, ${formatBytes(wire.queryBytes)} query per party`);
    },
  });
  // The noisy marginals (DP outputs) the operator's report scores the synthetic data against.
  const measured: Measurement[] = [];
  let measuredRecoded = 0;
  const observed: FederatedOracle = {
    get domain() {
      return oracle.domain;
    },
    measure: (attrSets, rho, label, recode) => measureBySecureSum(observed, attrSets, rho, label, recode),
    secureSum: async (query, rho, label) => {
      const sum = await oracle.secureSum(query, rho, label);
      if (query.kind === 'marginals' && (query.recode?.length ?? 0) > 0) measuredRecoded += query.attrSets.length;
      else if (query.kind === 'marginals') measured.push(...measurementsFromSum(domain, query.attrSets, sum));
      return sum;
    },
    gradientSum: (step, label) => oracle.gradientSum(step, label),
  };
  const mechanism = spec.mechanism;
  const out = await runMechanismInWorker(mechanism, observed, {
    rho,
    rows: spec.syntheticRows,
    onRows: (chunk, values) => onRows(chunk, measured, values),
    sampleSeed: seed,
    seed,
    training: spec.training,
    schemaJson: spec.schemaJson,
    delta: spec.delta,
    // dpsgd: progress per gradient round, with the epsilon (at the study's delta) spent so far.
    onRound: (round, rounds, epsilonSpent) =>
      store.setProgress(studyId, Math.min(0.95, (0.9 * round) / rounds), `gradient round ${round} of ${rounds} done, epsilon ${epsilonSpent.toFixed(3)} of ${spec.epsilon} spent (delta ${spec.delta})`),
    onFit: () => {
      const cur = store.getStudy(studyId);
      if (cur.state === 'running') store.setState(studyId, 'fitting', { phase: 'fitting the model and sampling' });
    },
  });
  const cur = store.getStudy(studyId);
  if (cur.state === 'running') store.setState(studyId, 'fitting', { phase: 'fitting the model and sampling' });
  return { domain, mechanism, out, releases, measured, measuredRecoded };
}

/** Journal index of the post-delivery pooled risk round: its own range, after any synthesis round. */
export const POOLED_RISK_ROUND_INDEX = 1_000_000;

/** The pooled risk release's noisy sum, as the coordinator learns it. */
export interface PooledRiskSum {
  readonly values: Float64Array;
  /** Standard deviation of the summed noise on each entry. */
  readonly stddev: number;
  readonly l2Sensitivity: number;
  readonly rho: number;
  /** Parties whose vectors are in the sum. */
  readonly parties: number;
}

/** The pooled subgroup release: one noisy marginal per set of subgroupSets(split) (split column x a pair of other columns). */
export interface PooledSubgroupSums {
  readonly split: readonly number[];
  readonly sums: readonly Float64Array[];
  readonly stddev: number;
  readonly rho: number;
}

/**
 * Share of the study's evaluationRho the risk round spends when there are subgroup columns; the
 * subgroup round spends the rest (all of it goes to the risk round when there are none).
 */
export const POOLED_RISK_SHARE = 0.5;

/**
 * The post-delivery rounds (docs/privacy.md "Pooled risk"), charged to the study's evaluationRho
 * only: (1) every approved party counts the risk attacks of the delivered synthetic data
 * (`syntheticSha256`) on its rows (`riskCounts`); (2) when `split` names subgroup columns, the
 * 3-way marginals of each split column with pairs of the other columns (subgroupSets; an ordinary `marginals` round) for
 * the pooled subgroup fidelity. `singlingOut` (pooledSinglingOutFamilies of the delivered rows) adds the
 * singling-out block to (1). Both through the study's secure aggregation with each party's noise share.
 */
export async function pooledRounds(
  d: StudySynthesisDeps,
  studyId: string,
  spec: StudySpec,
  syntheticSha256: string,
  split: readonly number[],
  singlingOut: readonly SinglingOutFamily[] = [],
): Promise<{ risk: PooledRiskSum; subgroups: PooledSubgroupSums | null }> {
  const rho = spec.evaluationRho ?? 0;
  if (!(rho > 0)) throw new FedsynthError(ErrorCode.InvalidArgument, `study ${studyId} has no pooled risk reservation`, { studyId });
  const domain = studyDomain(spec);
  const oracle = studyOracle(d, studyId, spec, domain, { budgetRho: rho, firstRoundIndex: POOLED_RISK_ROUND_INDEX });
  const riskRho = split.length > 0 ? POOLED_RISK_SHARE * rho : rho;
  const query: LocalQuery = { kind: 'riskCounts', columns: domain.attrs.length, syntheticSha256, ...(singlingOut.length > 0 ? { singlingOut } : {}) };
  const res = await oracle.secureSum(query, riskRho, 'pooled-risk');
  const parties = d.store.journaledRound(studyId, POOLED_RISK_ROUND_INDEX)?.participants.length ?? 0;
  const risk = { values: res.values, stddev: res.stddev, l2Sensitivity: localQuerySensitivity(query) * Math.max(1, spec.maxSilosPerIndividual), rho: riskRho, parties };
  if (split.length === 0) return { risk, subgroups: null };
  const attrSets = subgroupSets(domain.attrs, split).map((p) => p.map((i) => domain.attrs[i]));
  const measured = await oracle.measure(attrSets, rho - riskRho, 'pooled-subgroups');
  return { risk, subgroups: { split, sums: measured.map((m) => m.values), stddev: measured[0]?.stddev ?? 0, rho: rho - riskRho } };
}

/** Bytes as B / kB / MB (decimal), for progress lines. */
function formatBytes(n: number): string {
  return n < 1e3 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : `${(n / 1e6).toFixed(1)} MB`;
}

/** A party's Ed25519 signing key as bound in its (TLS-verified) certificate. */
function signingKeyOfCertificate(certificate: Uint8Array): Uint8Array | undefined {
  try {
    return peerIdentityFromCertificate(certificate).signingPublicKeyRaw;
  } catch {
    return undefined;
  }
}
