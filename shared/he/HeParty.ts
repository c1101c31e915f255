// HeParty: a party in homomorphic mode: encrypts its signed integer vector under the custodian's
// BFV public key (batching, N values per ciphertext) and signs the serialised ciphertexts.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import type { SignedVector } from '../secagg/ModularVector.js';
import { loadSodium, type Sodium } from '../secagg/sodium.js';
import { contributionPayload } from './contributionPayload.js';
import type { HeContribution } from './HeMessages.js';
import { createContext, loadSeal, plainModulusOf, type HeParams, type SealContext, type SealLibrary } from './HeParameters.js';

/** Encrypts contributions for one round. Call `dispose()` to free the WebAssembly objects. */
export class HeParty {
  private constructor(
    private readonly seal: SealLibrary,
    private readonly sodium: Sodium,
    private readonly params: HeParams,
    private readonly context: SealContext,
    private readonly publicKey: ReturnType<SealLibrary['PublicKey']>,
    private readonly maxAbsValue: bigint,
  ) {}

  /** Loads the custodian's serialised public key; `maxAbsValue` is this party's input bound. */
  static async create(params: HeParams, publicKeyBytes: Uint8Array, maxAbsValue: bigint): Promise<HeParty> {
    const [seal, sodium] = await Promise.all([loadSeal(), loadSodium()]);
    if (2n * maxAbsValue + 1n >= plainModulusOf(seal, params)) {
      throw new FedsynthError(ErrorCode.InvalidConfig, 'value bound does not fit the plain modulus');
    }
    const context = createContext(seal, params);
    const pk = seal.PublicKey();
    try {
      pk.loadArray(context, publicKeyBytes);
    } catch {
      throw new FedsynthError(ErrorCode.ProtocolViolation, 'custodian public key does not load under these parameters');
    }
    return new HeParty(seal, sodium, params, context, pk, maxAbsValue);
  }

  /**
   * Encrypts `values` (integers, |x| <= maxAbsValue, else InvalidData) slot-wise, pads the last
   * ciphertext with zeros, serialises each ciphertext (zstd) and signs them. SEAL draws the
   * encryption randomness from its own internal PRNG, which node-seal does not let us seed.
   */
  encrypt(roundId: string, partyId: string, values: SignedVector, identitySecretKey: Uint8Array): HeContribution {
    const { seal, context } = this;
    const n = this.params.polyModulusDegree;
    const encoder = seal.BatchEncoder(context);
    const encryptor = seal.Encryptor(context, this.publicKey);
    const ciphertexts: Uint8Array[] = [];
    const slots = new BigInt64Array(n);
    const lim = this.maxAbsValue;
    try {
      for (let start = 0; start < values.length; start += n) {
        slots.fill(0n);
        const end = Math.min(values.length, start + n);
        for (let i = start; i < end; i++) {
          const raw = values[i];
          if (typeof raw === 'number' && !Number.isInteger(raw)) throw new FedsynthError(ErrorCode.InvalidData, 'HE input value is not an integer', { index: i });
          const v = BigInt(raw);
          if (v > lim || -v > lim) throw new FedsynthError(ErrorCode.InvalidData, 'HE input value out of bound', { index: i });
          slots[i - start] = v;
        }
        const plain = encoder.encode(slots) as ReturnType<SealLibrary['PlainText']>;
        const ct = encryptor.encrypt(plain) as ReturnType<SealLibrary['CipherText']>;
        ciphertexts.push(ct.saveArray(seal.ComprModeType.zstd));
        plain.delete();
        ct.delete();
      }
    } finally {
      encoder.delete();
      encryptor.delete();
    }
    const signature = this.sodium.crypto_sign_detached(contributionPayload(roundId, partyId, values.length, ciphertexts), identitySecretKey);
    return { roundId, partyId, vectorLength: values.length, ciphertexts, signature };
  }

  dispose(): void {
    this.publicKey.delete();
    this.context.delete();
  }
}
