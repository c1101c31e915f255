// MaskingParticipant: the party's side of the `masking` aggregation mode — one shared/secagg
// SecAggParty per round of a study (kept by study + round, with its attempt), fed by the coordinator's
// relayed stages, with every peer's signing key taken from its certificate checked against the
// consortium CA (never from a message field).
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { SecAggParty } from '../../shared/secagg/SecAggParty.js';
import type { RoundConfig } from '../../shared/secagg/RoundConfig.js';
import type { SignedVector } from '../../shared/secagg/ModularVector.js';
import type { RandomSource } from '../../shared/dp/random/RandomSource.js';
import { decodeIntVector } from '../../shared/wire/intVectorCodec.js';
import { replyToWire, requestFromWire } from '../../platform/wire/secaggWire.js';
import { computeRoundConfig } from '../../shared/wire/computeRoundConfig.js';
import type { RoundReply, RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { bindSurvivors, type RoundBindingStore } from '../verification/RoundBinding.js';
import { assertSafeNeighbourhood } from '../verification/RoundSafety.js';
import type { CrashHook } from '../../platform/testing/crashHook.js';
import { roundKey, type RoundAttemptId } from './RoundAttempts.js';

/** This party's consortium identity for secure aggregation. */
export interface SecAggIdentity {
  partyId: string;
  /** libsodium Ed25519 secret key (64 bytes). */
  signingSecretKey: Uint8Array;
  /** This party's certificate (DER), relayed to peers by the coordinator. */
  certificate: Uint8Array;
  /** Verifies a relayed certificate against the CA and CRL; returns its holder, role and signing key. */
  verifyPeer(certificate: Uint8Array): { partyId: string; role: string; signingPublicKeyRaw: Uint8Array };
}

type ReplyStage = NonNullable<RoundReply['stage']>;

/** The agent's own demands on a masking round's graph (on top of NeighbourhoodPolicy's floor). */
export interface MaskingPolicy {
  /** Refuse SecAgg+ rounds with fewer neighbours than this (0 = the policy floor only). */
  minNeighbours?: number;
}

/** What the party approved that the safety of a round's graph depends on. */
export interface MaskingStudyTerms {
  /** f: parties the study allows to collude with the coordinator. */
  colluders: number;
}

export class MaskingParticipant {
  /**
   * The rounds in progress by roundKey (study, round): each one's attempt (RoundRequest.attempt), party
   * state, peers' keys and charge key. The study is part of the key so that a coordinator reusing a
   * round id in two studies never has a stage of one study reach the other's keys or shares.
   */
  private readonly rounds = new Map<string, { attempt: number; party: SecAggParty; keys: Map<string, Uint8Array>; chargeKey: string }>();

  /**
   * `bindings`: the agent's durable store of round bindings; with it, the survivor set this party
   * signs for a charge key is recorded before the signature leaves and any other set is refused
   * (SURVIVOR_SET_MISMATCH, verification/RoundBinding). Benches without a store omit it.
   */
  constructor(
    private readonly identity: SecAggIdentity,
    private readonly rng: RandomSource,
    private readonly policy: MaskingPolicy = {},
    private readonly bindings?: RoundBindingStore,
    /** Test-only (platform/testing/crashHook): called as `masking.<stage>` once a stage's reply is made, before it leaves. */
    private readonly crashAt?: CrashHook,
  ) {}

  /**
   * Starts a round with this party's noisy vector; returns its signed keys (round 0). The round's
   * graph is checked FIRST, against the study's colluders (the coordinator is not trusted to pick a
   * safe k): a SecAgg+ k below the safe minimum, odd, or whose neighbourhood threshold is too low
   * is refused with UNSAFE_NEIGHBOURHOOD, one below the agent's own minNeighbours with
   * POLICY_REFUSED, before any key is made (PartyAgent checks both before the ledger charge,
   * verification/RoundSafety; this is the backstop). PartyAgent always passes the
   * approved study's terms; a caller without a study (benches) may omit them, meaning f = 0.
   * `round.attempt` (RoundRequest.attempt) starts the round afresh for a retry of the same round id of
   * the same study: the later stages are taken only from that attempt (and only for that study).
   */
  async begin(round: RoundAttemptId, compute: ComputeStage, noisy: { noisy: Uint8Array; elementBits: number }, terms: MaskingStudyTerms = { colluders: 0 }): Promise<ReplyStage> {
    const { roundId, attempt } = round;
    const config: RoundConfig = computeRoundConfig(roundId, compute);
    const risk = { parties: config.parties.length, threshold: config.threshold, colluders: terms.colluders };
    // A backstop for callers without a dispatcher (benches): PartyAgent already refused an unsafe k,
    // or one below its own minNeighbours, BEFORE the charge (verification/RoundSafety).
    assertSafeNeighbourhood(risk, compute.neighbours, this.policy.minNeighbours ?? 0);
    const values = decodeIntVector(noisy.noisy, noisy.elementBits, compute.vectorLength);
    const input: SignedVector = values;
    const keys = new Map<string, Uint8Array>();
    const party = await SecAggParty.create({
      config,
      partyId: this.identity.partyId,
      identitySecretKey: this.identity.signingSecretKey,
      pki: (id) => keys.get(id),
      rng: this.rng,
      input,
    });
    this.rounds.set(roundKey(round), { attempt, party, keys, chargeKey: compute.chargeKey });
    const reply = await party.handle({ stage: 'advertiseKeys', roundId });
    this.crashAt?.('masking.advertiseKeys');
    return replyToWire(reply, this.identity.certificate);
  }

  /**
   * Handles one later stage of round `req.roundId` of study `req.studyId`; the round is forgotten
   * after unmasking or any refusal. A stage of a round no study has in progress under that id (e.g.
   * the same round id in another study) is OUT_OF_STEP; a stage of another attempt than the one in
   * progress is OUT_OF_STEP and leaves the round as it is.
   */
  async handle(req: RoundRequest): Promise<ReplyStage> {
    const key = roundKey(req);
    const r = this.rounds.get(key);
    if (!r || !req.stage) {
      throw new FedsynthError(ErrorCode.OutOfStep, `no secure-aggregation round ${req.roundId} of study ${req.studyId} in progress at this party`, { studyId: req.studyId, roundId: req.roundId });
    }
    if (req.attempt !== r.attempt) {
      throw new FedsynthError(ErrorCode.OutOfStep, `round ${req.roundId} of study ${req.studyId} is at attempt ${r.attempt} at this party, not ${req.attempt}`, { studyId: req.studyId, roundId: req.roundId, attempt: req.attempt });
    }
    try {
      const { request, certificates } = requestFromWire(req.roundId, req.stage);
      for (const [claimed, der] of certificates) {
        const id = this.identity.verifyPeer(der);
        if (id.partyId !== claimed || id.role !== 'party') {
          throw new FedsynthError(ErrorCode.BadSignature, `relayed certificate for ${claimed} belongs to ${id.role} ${id.partyId}`, { partyId: claimed });
        }
        r.keys.set(id.partyId, id.signingPublicKeyRaw);
      }
      const reply = await r.party.handle(request);
      // The party has checked and signed U3; record it for the charge key before the signature leaves.
      if (request.stage === 'consistency' && this.bindings) bindSurvivors(this.bindings, r.chargeKey, request.survivors);
      if (request.stage === 'unmask') this.rounds.delete(key);
      this.crashAt?.(`masking.${request.stage}`);
      return replyToWire(reply, this.identity.certificate);
    } catch (e) {
      this.rounds.delete(key);
      throw e;
    }
  }
}
