// ConsortiumOracle: the FederatedOracle the mechanisms use on a real consortium — each secure sum
// is one journaled round over the approved, connected parties; a restarted coordinator replays
// journaled rounds instead of asking (and charging) the parties again.
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import type { Domain } from '../../shared/pgm/Domain.js';
import { planDistributedDiscreteGaussian } from '../../shared/dp/mechanisms/distributedDiscreteGaussian.js';
import { planGradientRound } from '../../shared/dp/gradient/planGradientRound.js';
import { gradientRoundLoss } from '../../shared/dp/gradient/gradientRoundLoss.js';
import { decodeNoisySum } from '../../shared/dp/gradient/decodeNoisySum.js';
import type { PrivacyLoss } from '../../shared/dp/accounting/PrivacyLoss.js';
import { localQueryLength, localQuerySensitivity, type AttributeRecode, type LocalQuery } from '../../shared/synth/LocalQuery.js';
import { measureBySecureSum, type FederatedOracle, type GradientStepRequest, type GradientSumResult, type SecureSumResult } from '../../shared/synth/FederatedOracle.js';
import type { Measurement } from '../../shared/pgm/Measurement.js';
import type { AggregationMode } from '../../shared/study/StudySpec.js';
import { encodeLocalQuery } from '../../platform/wire/localQueryWire.js';
import { queryDigest } from '../../shared/wire/QueryChunks.js';
import { roundThreshold } from '../../shared/secagg/SurvivorThreshold.js';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { PrivacyAccountant } from '../../shared/dp/accounting/PrivacyAccountant.js';
import type { RoundOutcome, RoundPlan } from '../rounds/RoundPlan.js';

export interface ConsortiumOracleOptions {
  studyId: string;
  domain: Domain;
  store: CoordinatorStore;
  log: Logger;
  aggregation: AggregationMode;
  /** Masking: the study's SecAgg+ neighbourhood size k (StudySpec.neighbours; 0 = full graph). */
  neighbours?: number;
  colluders: number;
  dropouts: number;
  minParties: number;
  maxSilosPerIndividual: number;
  roundTimeoutMs: number;
  /** The parties currently in the study (approved and not dropped), sorted. */
  participants(): string[];
  /** Approved parties of the study (online or not), to wait for after an outage. */
  approvedParties(): string[];
  /** How often a round that lost its parties is asked again (default 3). */
  maxRoundRetries: number;
  /** How long to wait for approved parties to come back before a retry (ms). */
  reconnectWaitMs: number;
  /** Executes one round in the study's aggregation mode. */
  runRound(plan: RoundPlan): Promise<RoundOutcome>;
  /**
   * The study's budget (its rho): every release, replayed or asked, is charged to it before the
   * round, so a mechanism that would overspend fails here (BudgetExceededError) instead of at the agents.
   */
  budget?: PrivacyAccountant;
  /**
   * After each round: `queryBytes` is the encoded query every participant was sent (the compute
   * stage's payload, over all its chunks), `entries` the length of each party's answer vector.
   */
  onRoundDone?(index: number, label: string, replayed: boolean, wire: RoundWire): void;
  /** Journal index of this oracle's first round (default 0; the post-delivery round has its own range). */
  firstRoundIndex?: number;
}

/** What one release cost on the wire, per party. */
export interface RoundWire {
  readonly queryBytes: number;
  readonly entries: number;
}

/** One line of run.json `releases`. */
export interface ReleaseRecord {
  readonly index: number;
  readonly label: string;
  readonly replayed: boolean;
  /** Bytes of the encoded query sent to each party (over all its chunks). */
  readonly queryBytesPerParty: number;
  /** Entries of each party's answer vector (its noisy contribution). */
  readonly answerEntries: number;
}

/** A round's noise plan as the journal and the stage need it: each party's share, and the survivors' summed variance. */
interface RoundNoise {
  readonly perPartySigma2: number;
  sumSigma2(survivors: number): number;
}

/** A refusal that only says the charge key is bound to another round or survivor set. */
function isRebinding(code: string): boolean {
  return code === ErrorCode.RoundBindingMismatch || code === ErrorCode.SurvivorSetMismatch;
}

/** True when every refusal is a rebinding: a new attempt (new charge key) may succeed. */
function onlyRebindings(refusals: RoundOutcome['refusals']): boolean {
  return refusals.every((r) => isRebinding(r.code));
}

export class ConsortiumOracle implements FederatedOracle {
  private nextIndex: number;
  /** Parties that took part in a released round of this study (journaled or asked). */
  private readonly joined = new Set<string>();
  /** Parties already marked dropped by this oracle (logged once). */
  private readonly absent = new Set<string>();

  constructor(private readonly o: ConsortiumOracleOptions) {
    this.nextIndex = o.firstRoundIndex ?? 0;
  }

  /** After an outage, waits (bounded) until the round's participants are connected again. */
  private async awaitParticipants(want: readonly string[]): Promise<void> {
    const deadline = Date.now() + this.o.reconnectWaitMs;
    const online = () => new Set(this.o.participants());
    while (Date.now() < deadline && !want.every((p) => online().has(p))) await new Promise((r) => setTimeout(r, 200));
  }

  get domain(): Domain {
    return this.o.domain;
  }

  measure(attrSets: readonly (readonly string[])[], rho: number, label: string, recode?: readonly AttributeRecode[]): Promise<Measurement[]> {
    return measureBySecureSum(this, attrSets, rho, label, recode);
  }

  async secureSum(query: LocalQuery, rho: number, label: string): Promise<SecureSumResult> {
    const l2 = localQuerySensitivity(query) * this.o.maxSilosPerIndividual;
    return this.release(query, label, rho, rho, undefined, (n) => planDistributedDiscreteGaussian({ rho, l2Sensitivity: l2, parties: n, colluders: this.o.colluders, dropouts: this.o.dropouts }));
  }

  /**
   * One DP-SGD round (FederatedOracle.gradientSum): the plan is made for the study's approved parties
   * (each agent re-derives it and checks that the round's participants leave as many honest
   * survivors), its RDP loss charged to the study budget, the noisy integer aggregate decoded
   * (unrotated, rescaled: decodeNoisySum). Journaled and replayed like any round.
   */
  async gradientSum(step: GradientStepRequest, label: string): Promise<GradientSumResult> {
    const parties = this.o.approvedParties().length;
    const plan = planGradientRound({ ...step.planRequest, parties, colluders: this.o.colluders, dropouts: this.o.dropouts });
    const query: LocalQuery = { kind: 'gradientStep', round: step.round, weights: step.weights, plan };
    const loss = gradientRoundLoss(plan);
    // The stage carries rho 0 (no zCDP part); the journal records the round's RDP curve, the charge
    // of the released sum: what every agent's ledger charges in masking and HE (in plain mode an agent
    // charges more, the curve of its own share: plainGradientRoundLoss, as for zCDP rounds).
    const res = await this.release(query, label, loss, 0, loss.rdp, () => ({
      perPartySigma2: plan.perPartySigma2,
      sumSigma2: (survivors: number) => survivors * plan.perPartySigma2,
    }));
    return { sum: decodeNoisySum(res.values, plan), plan };
  }

  /**
   * One journaled release: `charge` goes to the study budget first; `rho` is the zCDP figure the
   * journal, the attempts and the compute stage carry (the gradient path: the unamplified round rho).
   */
  private async release(query: LocalQuery, label: string, charge: number | PrivacyLoss, rho: number, rdp: readonly number[] | undefined, planNoise: (parties: number) => RoundNoise): Promise<SecureSumResult> {
    const { studyId, store, log } = this.o;
    const index = this.nextIndex++;
    // The query travels as protobuf bytes (tables and model marginals as float64 bytes); the
    // journal keeps its SHA-256, enough to detect a replay that diverged.
    const queryBytes = encodeLocalQuery(query, this.o.domain);
    const querySha256 = queryDigest(queryBytes);
    const queryDigestHex = querySha256.toString('hex');
    this.o.budget?.charge(label, charge);
    const journaled = store.journaledRound(studyId, index);
    if (journaled) {
      const rdpDiverged = journaled.rdp !== undefined && JSON.stringify(journaled.rdp) !== JSON.stringify(rdp);
      if (journaled.queryDigest !== queryDigestHex || journaled.label !== label || journaled.rho !== rho || rdpDiverged) {
        throw new FedsynthError(ErrorCode.CorruptState, `study ${studyId}: replay of round ${index} diverged from the journal (${journaled.label} vs ${label})`, { studyId, round: index });
      }
      for (const p of journaled.participants) this.joined.add(p);
      log.info({ studyId, round: index, label }, 'round replayed from the journal (not asked again)');
      this.o.onRoundDone?.(index, label, true, { queryBytes: queryBytes.length, entries: localQueryLength(query, this.o.domain) });
      return { values: journaled.sum, stddev: journaled.stddev };
    }
    // A round whose parties went away (network, restart) is asked again unchanged: the same round
    // id, participants, threshold and charge key, which every agent binds its contribution to
    // (party-agent/verification/RoundBinding) and answers with the vector it already released (no
    // extra charge); an agent that signed a survivor set for the key accepts only that set again.
    // When agents refuse because the key is bound to another round or survivor set, the next try
    // is a NEW attempt: a new round id and charge key (`/aN`), a fresh charge and fresh noise at
    // every agent, within its budget. In plain mode other refusals end the round.
    let attempt = 0;
    let fresh = 0;
    let participants: string[];
    let noise: RoundNoise;
    let outcome: RoundOutcome;
    let roundId: string;
    const vectorLength = localQueryLength(query, this.o.domain);
    // The participants and the noise plan are fixed by the first attempt: a retry may lose parties
    // (they count as dropouts, within `dropouts`) but never re-plans the noise of a released vector.
    participants = this.o.participants();
    this.markAbsent(participants);
    for (;;) {
      if (attempt > 0) await this.awaitParticipants(participants);
      const n = participants.length;
      const mode = this.o.aggregation;
      const minSurvivors = roundThreshold({ parties: n, colluders: this.o.colluders, dropouts: this.o.dropouts }, this.o.minParties, mode);
      if (n - this.o.colluders - this.o.dropouts < 1) {
        throw new FedsynthError(ErrorCode.TooFewSurvivors, `study ${studyId}: only ${n} parties remain; at least ${this.o.colluders + this.o.dropouts + 1} are needed`, { studyId, parties: n });
      }
      noise = planNoise(n);
      const suffix = fresh === 0 ? '' : `/a${fresh}`;
      roundId = `${studyId}/r${index}${suffix}`;
      let failure: FedsynthError | undefined;
      const chargeKey = `${studyId}/${index}/${label}${suffix}`;
      // Journaled before anyone is asked: a round that charges the parties and never releases is
      // visible in the study's status (RoundAccount), whatever happens next.
      const attemptNo = store.beginRoundAttempt({ studyId, roundIndex: index, roundId, label, rho, chargeKey, asked: participants });
      const endAttempt = (e: unknown): void => {
        const code = isFedsynthError(e) ? e.code : ErrorCode.Internal;
        store.endRoundAttempt(studyId, index, attemptNo, 'failed', { code, message: isFedsynthError(e) ? e.message : `internal error: ${(e as Error)?.message ?? String(e)}` });
      };
      try {
        outcome = await this.o.runRound({
          studyId,
          roundId,
          roundIndex: index,
          attempt: attemptNo,
          participants,
          timeoutMs: this.o.roundTimeoutMs,
          onCharged: (partyId) => store.recordAttemptCharge(studyId, index, attemptNo, partyId),
          compute: {
            query: queryBytes,
            queryChunkCount: 1,
            querySha256,
            rho,
            perPartySigma2: noise.perPartySigma2,
            chargeKey,
            label,
            vectorLength,
            aggregation: this.o.aggregation,
            participants,
            threshold: minSurvivors,
            modulusBits: 32,
            hePublicKey: new Uint8Array(0),
            neighbours: this.o.neighbours ?? 0,
            maxChunkBytes: 0,
          },
        });
        if (outcome.survivors.length >= minSurvivors) {
          this.journal({ index, roundId, label, queryDigestHex, rho, rdp, outcome, participants, noise, attemptNo });
          break;
        }
        failure = new FedsynthError(
          ErrorCode.TooFewSurvivors,
          `study ${studyId}, round ${index} (${label}): ${outcome.survivors.length} of ${n} parties answered; at least ${minSurvivors} are needed` +
            (outcome.refusals.length > 0 ? `; refusals: ${outcome.refusals.map((r) => `${r.partyId} ${r.code}: ${r.message}`).join('; ')}` : ''),
          { studyId, round: index, survivors: outcome.survivors.length },
        );
        endAttempt(failure);
        if (!onlyRebindings(outcome.refusals)) throw failure; // a refusal is a decision, not an outage
        if (outcome.refusals.length > 0) fresh += 1;
      } catch (e) {
        if (e === failure) throw e; // refused: a party's decision, not an outage
        endAttempt(e);
        if (!isFedsynthError(e) || e.code !== ErrorCode.TooFewSurvivors) throw e;
        // Masking/HE: asked again (as before) with the same key, or as a new attempt when some agent
        // said the key is bound elsewhere.
        const refusals = (e.details.refusals ?? []) as RoundOutcome['refusals'];
        if (refusals.some((r) => isRebinding(r.code))) fresh += 1;
        failure = e;
      }
      attempt += 1;
      if (attempt > this.o.maxRoundRetries) throw failure;
      log.warn({ studyId, round: index, label, attempt, err: failure.message }, 'round failed for lack of parties; retrying when they are back');
      // Shown to a watching operator: what failed, which retry this is, how long it may wait.
      store.setProgress(
        studyId,
        store.getStudy(studyId).progress,
        `round ${index + 1} (${label}): ${failure.message}; retry ${attempt} of ${this.o.maxRoundRetries}, waiting up to ${Math.round(this.o.reconnectWaitMs / 1000)} s for the parties to be back`,
      );
    }
    const stddev = Math.sqrt(noise.sumSigma2(outcome.survivors.length));
    log.info({ studyId, roundId, label, rho, cells: vectorLength, survivors: outcome.survivors.length, dropped: participants.filter((p) => !outcome.survivors.includes(p)) }, 'round complete');
    this.o.onRoundDone?.(index, label, false, { queryBytes: queryBytes.length, entries: vectorLength });
    return { values: outcome.sum, stddev };
  }

  /**
   * A party that took part in an earlier round and is not among this round's participants (it went
   * offline between rounds, so it was never asked) has dropped out of the study as surely as one
   * lost inside a round: the study's status and report say so (issue 20 item 3).
   */
  private markAbsent(participants: readonly string[]): void {
    const asked = new Set(participants);
    for (const p of this.joined) {
      if (!asked.has(p) && !this.absent.has(p)) {
        this.absent.add(p);
        this.o.store.setDropped(this.o.studyId, p);
        this.o.log.warn({ studyId: this.o.studyId, partyId: p }, 'party absent from a round after taking part in an earlier one: marked dropped');
      }
    }
  }

  /** Journals a released round (its noisy sum, survivors and dropouts) and closes its attempt as released. */
  private journal(r: { index: number; roundId: string; label: string; queryDigestHex: string; rho: number; rdp: readonly number[] | undefined; outcome: RoundOutcome; participants: readonly string[]; noise: RoundNoise; attemptNo: number }): void {
    const { studyId, store } = this.o;
    const survived = new Set(r.outcome.survivors);
    for (const p of r.outcome.survivors) this.joined.add(p);
    store.journalRound({
      studyId,
      roundIndex: r.index,
      roundId: r.roundId,
      label: r.label,
      queryDigest: r.queryDigestHex,
      rho: r.rho,
      ...(r.rdp !== undefined ? { rdp: r.rdp } : {}),
      sum: r.outcome.sum,
      stddev: Math.sqrt(r.noise.sumSigma2(r.outcome.survivors.length)),
      participants: r.outcome.survivors,
      dropped: r.participants.filter((p) => !survived.has(p)),
      completedMs: Date.now(),
    });
    store.endRoundAttempt(studyId, r.index, r.attemptNo, 'released');
  }
}
