// HeCustodian: the key-custodian role of homomorphic mode (never the coordinator): generates the
// BFV key pair, publishes the public key, and decrypts only aggregates of at least t contributors.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { HeAggregate } from './HeMessages.js';
import { createContext, loadSeal, type HeParams, type SealContext, type SealLibrary } from './HeParameters.js';
import { generateHeKeys } from './generateHeKeys.js';

/** Holds the BFV secret key for one round. Call `dispose()` to free it. */
export class HeCustodian {
  private readonly decrypted = new Set<string>();

  private constructor(
    private readonly seal: SealLibrary,
    private readonly params: HeParams,
    private readonly context: SealContext,
    private readonly secretKey: ReturnType<SealLibrary['SecretKey']>,
    private readonly publicKeyBytes: Uint8Array,
    private readonly minContributors: number,
  ) {}

  /** Generates a fresh key pair (never reproducible: see generateHeKeys). */
  static async create(params: HeParams, minContributors: number): Promise<HeCustodian> {
    const seal = await loadSeal();
    const context = createContext(seal, params);
    const { secretKey, publicKey } = generateHeKeys(seal, context);
    return new HeCustodian(seal, params, context, secretKey, publicKey, minContributors);
  }

  /** The serialised public key parties encrypt under. */
  publicKey(): Uint8Array {
    return this.publicKeyBytes;
  }

  /**
   * Decrypts an aggregate into exact signed sums (BigInt64Array, centred mod p). Refuses an
   * aggregate of fewer than t contributors (TooFewSurvivors), a second aggregate for a round
   * (ProtocolViolation), and ciphertexts that do not load (ProtocolViolation). The custodian cannot
   * check that the coordinator really added t distinct contributions: that is the trust assumption.
   */
  decrypt(agg: HeAggregate): BigInt64Array {
    if (new Set(agg.contributors).size < this.minContributors) {
      throw new FedsynthError(ErrorCode.TooFewSurvivors, 'aggregate has fewer than t contributors', { contributors: agg.contributors.length, threshold: this.minContributors });
    }
    if (this.decrypted.has(agg.roundId)) throw new FedsynthError(ErrorCode.ProtocolViolation, 'round already decrypted', { roundId: agg.roundId });
    const n = this.params.polyModulusDegree;
    if (agg.ciphertexts.length !== Math.ceil(agg.vectorLength / n)) throw new FedsynthError(ErrorCode.ProtocolViolation, 'aggregate has the wrong length');
    const out = new BigInt64Array(agg.vectorLength);
    const encoder = this.seal.BatchEncoder(this.context);
    const decryptor = this.seal.Decryptor(this.context, this.secretKey);
    try {
      agg.ciphertexts.forEach((bytes, j) => {
        const ct = this.seal.CipherText();
        try {
          ct.loadArray(this.context, bytes);
        } catch {
          ct.delete();
          throw new FedsynthError(ErrorCode.ProtocolViolation, 'aggregate ciphertext does not load', { index: j });
        }
        if (decryptor.invariantNoiseBudget(ct) <= 0) {
          ct.delete();
          throw new FedsynthError(ErrorCode.VerificationFailed, 'aggregate ciphertext has no noise budget left (tampered or too many additions)', { index: j });
        }
        const plain = decryptor.decrypt(ct) as ReturnType<SealLibrary['PlainText']>;
        const slots = encoder.decodeBigInt(plain, true) as BigInt64Array;
        out.set(slots.subarray(0, Math.min(n, agg.vectorLength - j * n)), j * n);
        plain.delete();
        ct.delete();
      });
    } finally {
      encoder.delete();
      decryptor.delete();
    }
    this.decrypted.add(agg.roundId);
    return out;
  }

  dispose(): void {
    this.secretKey.delete();
    this.context.delete();
  }
}
