// HeAggregator: the coordinator in homomorphic mode: verifies each party's signed contribution and
// adds ciphertexts slot-wise; it holds no secret key and only ever sees ciphertexts.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { IdentityLookup } from '../secagg/SecAggKeyChecks.js';
import { loadSodium, type Sodium } from '../secagg/sodium.js';
import { contributionPayload } from './contributionPayload.js';
import type { HeAggregate, HeContribution } from './HeMessages.js';
import { createContext, loadSeal, type HeParams, type SealContext, type SealLibrary } from './HeParameters.js';

type CipherText = ReturnType<SealLibrary['CipherText']>;

/** Running encrypted sum of one round. */
export class HeAggregator {
  private readonly sums: CipherText[] = [];
  private readonly contributors: string[] = [];

  private constructor(
    private readonly seal: SealLibrary,
    private readonly sodium: Sodium,
    private readonly context: SealContext,
    private readonly roundId: string,
    private readonly parties: readonly string[],
    private readonly vectorLength: number,
    private readonly pki: IdentityLookup,
    private readonly slots: number,
  ) {}

  static async create(params: HeParams, roundId: string, parties: readonly string[], vectorLength: number, pki: IdentityLookup): Promise<HeAggregator> {
    const [seal, sodium] = await Promise.all([loadSeal(), loadSodium()]);
    return new HeAggregator(seal, sodium, createContext(seal, params), roundId, parties, vectorLength, pki, params.polyModulusDegree);
  }

  /**
   * Adds one contribution after checking round, party, repeat, length and the Ed25519 signature
   * over the ciphertext digests (a tampered ciphertext fails here: BadSignature). A ciphertext
   * that SEAL cannot load as valid for these parameters is refused (ProtocolViolation).
   */
  add(c: HeContribution): void {
    if (c.roundId !== this.roundId) throw new FedsynthError(ErrorCode.OutOfStep, 'contribution of another round', { got: c.roundId });
    if (!this.parties.includes(c.partyId) || this.contributors.includes(c.partyId)) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, 'contribution from an unknown or repeated party', { partyId: c.partyId });
    }
    const expected = Math.ceil(this.vectorLength / this.slots);
    if (c.vectorLength !== this.vectorLength || c.ciphertexts.length !== expected) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, 'contribution has the wrong vector length', { partyId: c.partyId, vectorLength: c.vectorLength });
    }
    const pk = this.pki(c.partyId);
    if (!pk || !this.sodium.crypto_sign_verify_detached(c.signature, contributionPayload(c.roundId, c.partyId, c.vectorLength, c.ciphertexts), pk)) {
      throw new FedsynthError(ErrorCode.BadSignature, 'contribution signature does not verify', { partyId: c.partyId });
    }
    const loaded: CipherText[] = [];
    try {
      for (const bytes of c.ciphertexts) {
        const ct = this.seal.CipherText();
        loaded.push(ct);
        ct.loadArray(this.context, bytes);
      }
    } catch {
      for (const ct of loaded) ct.delete();
      throw new FedsynthError(ErrorCode.ProtocolViolation, 'ciphertext does not load under the round parameters', { partyId: c.partyId });
    }
    if (this.sums.length === 0) {
      this.sums.push(...loaded);
    } else {
      const ev = this.seal.Evaluator(this.context);
      loaded.forEach((ct, i) => {
        ev.add(this.sums[i], ct, this.sums[i]);
        ct.delete();
      });
      ev.delete();
    }
    this.contributors.push(c.partyId);
  }

  /** The aggregate for the custodian (contributors in config order). */
  result(): HeAggregate {
    if (this.sums.length === 0) throw new FedsynthError(ErrorCode.TooFewSurvivors, 'no contributions to aggregate', { roundId: this.roundId });
    return {
      roundId: this.roundId,
      contributors: this.parties.filter((p) => this.contributors.includes(p)),
      vectorLength: this.vectorLength,
      ciphertexts: this.sums.map((ct) => ct.saveArray(this.seal.ComprModeType.zstd)),
    };
  }

  dispose(): void {
    for (const ct of this.sums) ct.delete();
    this.context.delete();
  }
}
