// HeKeyPair: the custodian's durable BFV key pair (node-seal 6): generated once per study, saved as
// bytes so a restarted custodian keeps its keys, and used only to decrypt checked aggregates.
import { ErrorCode, FedsynthError } from '../shared/errors/FedsynthError.js';
import { createContext, loadSeal, type HeParams, type SealContext, type SealLibrary } from '../shared/he/HeParameters.js';
import { generateHeKeys } from '../shared/he/generateHeKeys.js';

type SecretKey = ReturnType<SealLibrary['SecretKey']>;

/** A loaded key pair. Call `dispose()` to free the WebAssembly objects (the secret key). */
export class HeKeyPair {
  private constructor(
    private readonly seal: SealLibrary,
    readonly params: HeParams,
    private readonly context: SealContext,
    private readonly secretKey: SecretKey,
    /** SEAL PublicKey.saveArray (zstd): what parties encrypt under. */
    readonly publicKey: Uint8Array,
  ) {}

  /** A fresh key pair (never reproducible: see generateHeKeys). */
  static async generate(params: HeParams): Promise<HeKeyPair> {
    const seal = await loadSeal();
    const context = createContext(seal, params);
    const { secretKey, publicKey } = generateHeKeys(seal, context);
    return new HeKeyPair(seal, params, context, secretKey, publicKey);
  }

  /** Reloads a saved pair; CorruptState if the bytes do not load under `params`. */
  static async load(params: HeParams, secretKeyBytes: Uint8Array, publicKeyBytes: Uint8Array): Promise<HeKeyPair> {
    const seal = await loadSeal();
    const context = createContext(seal, params);
    const sk = seal.SecretKey();
    try {
      sk.loadArray(context, secretKeyBytes);
      const pk = seal.PublicKey();
      pk.loadArray(context, publicKeyBytes);
      pk.delete();
    } catch {
      sk.delete();
      context.delete();
      throw new FedsynthError(ErrorCode.CorruptState, 'stored HE key pair does not load under its parameters', { ...params });
    }
    return new HeKeyPair(seal, params, context, sk, publicKeyBytes);
  }

  /** The secret key's bytes, for the custodian's state only (never sent anywhere). */
  exportSecretKey(): Uint8Array {
    return this.secretKey.saveArray(this.seal.ComprModeType.zstd);
  }

  /**
   * Decrypts ceil(m / N) batched ciphertexts into m exact signed values (centred mod p). A
   * ciphertext that does not load is a ProtocolViolation; one with no noise budget left
   * (tampered, or more additions than the parameters allow) is VerificationFailed. The caller
   * decides WHETHER to decrypt (threshold, once per round): see KeyCustodian.
   */
  decryptVector(ciphertexts: readonly Uint8Array[], length: number): BigInt64Array {
    const n = this.params.polyModulusDegree;
    if (length < 1 || ciphertexts.length !== Math.ceil(length / n)) {
      throw new FedsynthError(ErrorCode.ProtocolViolation, `expected ${Math.ceil(length / n)} ciphertexts for ${length} values, got ${ciphertexts.length}`);
    }
    const { seal, context } = this;
    const out = new BigInt64Array(length);
    const encoder = seal.BatchEncoder(context);
    const decryptor = seal.Decryptor(context, this.secretKey);
    const ct = seal.CipherText();
    try {
      for (let j = 0; j < ciphertexts.length; j++) {
        try {
          ct.loadArray(context, ciphertexts[j]);
        } catch {
          throw new FedsynthError(ErrorCode.ProtocolViolation, `ciphertext ${j} does not load under the key's parameters`, { index: j });
        }
        if (decryptor.invariantNoiseBudget(ct) <= 0) {
          throw new FedsynthError(ErrorCode.VerificationFailed, `ciphertext ${j} has no noise budget left (tampered or too many additions)`, { index: j });
        }
        const plain = decryptor.decrypt(ct) as ReturnType<SealLibrary['PlainText']>;
        const slots = encoder.decodeBigInt(plain, true) as BigInt64Array;
        plain.delete();
        const start = j * n;
        out.set(slots.subarray(0, Math.min(n, length - start)), start);
      }
    } finally {
      ct.delete();
      encoder.delete();
      decryptor.delete();
    }
    return out;
  }

  dispose(): void {
    this.secretKey.delete();
    this.context.delete();
  }
}
