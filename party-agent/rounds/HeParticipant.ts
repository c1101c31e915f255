// HeParticipant: the party's side of the `he` aggregation mode — encrypts its noisy vector under the
// custodian's BFV public key from the compute stage (shared/he HeParty) and signs the ciphertexts.
import { createHash } from 'node:crypto';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { HeParty } from '../../shared/he/HeParty.js';
import { decodeIntVector } from '../../shared/wire/intVectorCodec.js';
import { contributionToWire, heParamsOfRound } from '../../shared/wire/heWire.js';
import type { ComputeStage, RoundReply } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';

type ReplyStage = NonNullable<RoundReply['stage']>;

/** This party's identity for signing HE contributions. */
export interface HeIdentity {
  partyId: string;
  /** libsodium Ed25519 secret key (64 bytes), bound to the party's certificate. */
  signingSecretKey: Uint8Array;
}

export class HeParticipant {
  /** The last key loaded (a study uses one key for all its rounds). */
  private cached: { digest: string; party: HeParty } | undefined;

  constructor(private readonly identity: HeIdentity) {}

  /**
   * Encrypts the noisy vector of `roundId` and returns the he_ciphertexts reply. The public key's
   * parameters are re-derived here from compute.modulus_bits: a key for other parameters does not
   * load (ProtocolViolation). A retried round re-encrypts the SAME noisy vector (fresh SEAL
   * randomness, same plaintext), so nothing new about the data is released.
   */
  async contribute(roundId: string, compute: ComputeStage, noisy: { noisy: Uint8Array; elementBits: number }): Promise<ReplyStage> {
    if (compute.hePublicKey.byteLength === 0) throw new FedsynthError(ErrorCode.ProtocolViolation, 'HE round without the custodian public key', { field: 'compute.he_public_key' });
    const values = decodeIntVector(noisy.noisy, noisy.elementBits, compute.vectorLength);
    const party = await this.partyFor(compute);
    const contribution = party.encrypt(roundId, this.identity.partyId, values, this.identity.signingSecretKey);
    return { $case: 'heCiphertexts', value: contributionToWire(contribution) };
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
    this.cached?.party.dispose();
    this.cached = undefined;
  }
}
