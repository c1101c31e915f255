// HeParticipant: the party's side of the `he` aggregation mode — verifies the custodian's
// endorsement of the BFV public key, encrypts its noisy vector under it (shared/he HeParty), signs
// the ciphertexts and hands them out in bounded chunks (chunk 0 with the compute reply, the rest when asked
// by the same attempt of the same round of the same study).
import { createHash } from 'node:crypto';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { HeParty } from '../../shared/he/HeParty.js';
import { decodeIntVector } from '../../shared/wire/intVectorCodec.js';
import { chunkToWire, heParamsOfRound } from '../../platform/wire/heWire.js';
import { DEFAULT_MAX_CHUNK_BYTES, splitContribution, type HeChunk } from '../../shared/he/HeChunk.js';
import type { HeEncrypt, RoundReply } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { roundKey, type RoundAttemptId } from './RoundAttempts.js';
import { assertKeyThreshold, verifyHeKeyEndorsement, type ApprovedKeyTerms, type CertificateVerifier, type EndorsedHeKey } from '../verification/HeKeyVerification.js';

/** Rounds whose chunks are kept for the coordinator to pull (older ones are dropped). */
const KEPT_ROUNDS = 4;
/** Authenticated (study, key, endorsement) triples remembered (a study uses one key). */
const KEPT_KEYS = 16;

type ReplyStage = NonNullable<RoundReply['stage']>;

/** This party's identity for signing HE contributions. */
export interface HeIdentity {
  partyId: string;
  /** libsodium Ed25519 secret key (64 bytes), bound to the party's certificate. */
  signingSecretKey: Uint8Array;
  /** Verifies a certificate against this party's CA and CRL: the custodian's, for its key endorsement. */
  verifyPeer: CertificateVerifier;
}

export class HeParticipant {
  /** The last key loaded (a study uses one key for all its rounds). */
  private cached: { digest: string; party: HeParty } | undefined;
  /**
   * Chunks of recent rounds' contributions by roundKey (study, round), each with the attempt that
   * encrypted it (insertion order = age): only that attempt's chunk requests are served from it.
   */
  private readonly pending = new Map<string, { attempt: number; chunks: HeChunk[] }>();
  /** Keys whose endorsement verified, by endorsementDigest. */
  private readonly authenticated = new Map<string, EndorsedHeKey>();

  /** `maxChunkBytes`: this agent's own cap on a chunk (the coordinator may ask for less). */
  constructor(
    private readonly identity: HeIdentity,
    private readonly maxChunkBytes: number = DEFAULT_MAX_CHUNK_BYTES,
  ) {}

  /**
   * Encrypts the noisy vector of `round` and returns the he_ciphertexts reply. The public key's
   * parameters are re-derived here from compute.modulus_bits: a key for other parameters does not
   * load (ProtocolViolation). `noisy` is the vector recorded under the charge key (ComputeHandler: a
   * retried round re-sends it, no second noise draw, no second charge); a retry re-encrypts it (fresh
   * SEAL randomness, same plaintext), so nothing new about the data is released. The reply is chunk 0
   * of chunk_count chunks of at most min(compute.max_chunk_bytes or 4 MiB - 64 KiB, own cap) bytes;
   * the rest are kept for `chunk()` of the same attempt, replacing an earlier attempt's (superseded).
   * While a LATER attempt's chunks are held, an earlier attempt is refused (OUT_OF_STEP): its
   * ciphertexts never replace the ones the coordinator is pulling. The key must carry a valid
   * custodian endorsement (`authenticateKey`, which the round dispatcher runs before anything is charged).
   */
  async contribute(round: RoundAttemptId, compute: ComputeStage, noisy: { noisy: Uint8Array; elementBits: number }, approved: ApprovedKeyTerms = {}): Promise<ReplyStage> {
    if (compute.hePublicKey.byteLength === 0) throw new FedsynthError(ErrorCode.ProtocolViolation, 'HE round without the custodian public key', { field: 'compute.he_public_key' });
    const key = roundKey(round);
    const later = this.pending.get(key);
    if (later !== undefined && later.attempt > round.attempt) throw outOfStep(round, later.attempt);
    await this.authenticateKey(round.studyId, compute, approved);
    const values = decodeIntVector(noisy.noisy, noisy.elementBits, compute.vectorLength);
    const party = await this.partyFor(compute);
    const contribution = party.encrypt(round.roundId, this.identity.partyId, values, this.identity.signingSecretKey);
    const budget = Math.min(compute.maxChunkBytes > 0 ? compute.maxChunkBytes : DEFAULT_MAX_CHUNK_BYTES, this.maxChunkBytes);
    const chunks = splitContribution(contribution, budget);
    this.pending.delete(key);
    if (chunks.length > 1) {
      this.pending.set(key, { attempt: round.attempt, chunks });
      while (this.pending.size > KEPT_ROUNDS) this.pending.delete(this.pending.keys().next().value!);
    }
    return { $case: 'heCiphertexts', value: chunkToWire(chunks[0]) };
  }

  /**
   * Checks the custodian's endorsement of compute.he_public_key for `studyId`
   * (party-agent/verification/HeKeyVerification.ts); throws HE_KEY_UNAUTHENTICATED. Cached per
   * (study, key, endorsement), so a study's rounds verify the signature once.
   */
  async authenticateKey(studyId: string, compute: ComputeStage, approved: ApprovedKeyTerms = {}): Promise<EndorsedHeKey> {
    const digest = endorsementDigest(studyId, compute, approved.specHash);
    const known = this.authenticated.get(digest);
    if (known) {
      assertKeyThreshold(known, compute, approved); // n may change between rounds
      return known;
    }
    const endorsed = await verifyHeKeyEndorsement(studyId, compute, this.identity.verifyPeer, approved);
    this.authenticated.set(digest, endorsed);
    while (this.authenticated.size > KEPT_KEYS) this.authenticated.delete(this.authenticated.keys().next().value!);
    return endorsed;
  }

  /**
   * Chunk `req.chunk_index` of the contribution this attempt of this round of this study encrypted;
   * forgets it after its last chunk. A request of another attempt (or study) is OUT_OF_STEP and
   * leaves the held chunks as they are: chunks of two encryptions never mix in one contribution.
   */
  chunk(round: RoundAttemptId, req: HeEncrypt): ReplyStage {
    const key = roundKey(round);
    const held = this.pending.get(key);
    if (!held) throw new FedsynthError(ErrorCode.OutOfStep, `no chunked HE contribution of round ${round.roundId} of study ${round.studyId} at this party`, { studyId: round.studyId, roundId: round.roundId });
    if (held.attempt !== round.attempt) throw outOfStep(round, held.attempt);
    const c = held.chunks[req.chunkIndex];
    if (!c) throw new FedsynthError(ErrorCode.ProtocolViolation, `chunk ${req.chunkIndex} does not exist (${held.chunks.length} chunks)`, { field: 'he_encrypt.chunk_index' });
    if (req.chunkIndex === held.chunks.length - 1) this.pending.delete(key);
    return { $case: 'heCiphertexts', value: chunkToWire(c) };
  }

  private async partyFor(compute: ComputeStage): Promise<HeParty> {
    const { params, maxAbsValue } = heParamsOfRound(compute.modulusBits);
    const digest = createHash('sha256').update(`${params.polyModulusDegree}/${params.plainModulusBits}/`).update(compute.hePublicKey).digest('hex');
    if (this.cached?.digest === digest) return this.cached.party;
    const party = await HeParty.create(params, compute.hePublicKey, maxAbsValue);
    this.cached?.party.dispose();
    this.cached = { digest, party };
    return party;
  }

  dispose(): void {
    this.pending.clear();
    this.authenticated.clear();
    this.cached?.party.dispose();
    this.cached = undefined;
  }
}

/** A request of `round` while this party holds the chunks of attempt `held` of it. */
function outOfStep(round: RoundAttemptId, held: number): FedsynthError {
  return new FedsynthError(ErrorCode.OutOfStep, `HE round ${round.roundId} is at attempt ${held} at this party, not ${round.attempt}`, { studyId: round.studyId, roundId: round.roundId, attempt: round.attempt });
}

/** Identifies what an endorsement check covered: study, parameters, key and the endorsement itself. */
function endorsementDigest(studyId: string, compute: ComputeStage, approvedSpecHash = ''): string {
  const e = compute.heKeyEndorsement;
  const h = createHash('sha256').update(`${studyId}\n${compute.modulusBits}\n${approvedSpecHash}\n`).update(compute.hePublicKey);
  if (e) h.update(`\n${e.keyId}\n${e.minContributors}\n${e.specHash}\n`).update(e.signature).update(e.custodianCertificate);
  return h.digest('hex');
}
