// HeParameters: BFV parameters for additive homomorphic aggregation with node-seal 6 (batching),
// chosen so that no sum can wrap mod the plain modulus, and the SEAL context built from them.
import type { SEALLibrary } from 'node-seal/implementation/seal.js';
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** The node-seal library object. */
export type SealLibrary = SEALLibrary;
/** A SEAL context (parameters validated by SEAL). */
export type SealContext = ReturnType<SealLibrary['Context']>;

let sealPromise: Promise<SealLibrary> | undefined;

/** Loads node-seal and its WebAssembly once, on first use (a process that never aggregates with HE never loads it). */
export function loadSeal(): Promise<SealLibrary> {
  // node-seal ships CommonJS whose typings declare an ES default export: at run time the default
  // import is the factory itself.
  sealPromise ??= import('node-seal').then((m) => (m.default as unknown as () => Promise<SealLibrary>)());
  return sealPromise;
}

/** Public HE parameters of a round (all roles must use the same). */
export interface HeParams {
  /** BFV ring degree N; also the number of batching slots per ciphertext. */
  polyModulusDegree: 4096 | 8192;
  /** Bit size of the batching-friendly prime plain modulus p (p = 1 mod 2N). */
  plainModulusBits: number;
}

/**
 * Picks BFV parameters for sums bounded by |sum| <= maxAbsSum. Signed values are encoded mod p as
 * x mod p and decoded into (-p/2, p/2]; a sum is exact iff |sum| < p/2, so we need p > 2*maxAbsSum+1.
 * A prime of b bits is >= 2^(b-1), so b = bitlength(2*maxAbsSum + 1) + 1 suffices. N = 4096 with
 * SEAL's default 109-bit coefficient modulus (128-bit security) leaves ample noise budget for
 * additions only while p stays at most 50 bits (sums up to ~2^48); larger sums are refused.
 */
export function chooseHeParams(maxAbsSum: bigint): HeParams {
  if (maxAbsSum < 0n) throw new FedsynthError(ErrorCode.InvalidArgument, 'maxAbsSum must be >= 0');
  const bits = Math.max(20, (2n * maxAbsSum + 1n).toString(2).length + 1);
  if (bits > 50) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'HE mode supports |sum| < 2^48; use masking with modulusBits 64', { maxAbsSum: String(maxAbsSum) });
  }
  return { polyModulusDegree: 4096, plainModulusBits: bits };
}

/** Builds and validates the SEAL BFV context for `params` (128-bit security level). */
export function createContext(seal: SealLibrary, params: HeParams): SealContext {
  const parms = seal.EncryptionParameters(seal.SchemeType.bfv);
  parms.setPolyModulusDegree(params.polyModulusDegree);
  parms.setCoeffModulus(seal.CoeffModulus.BFVDefault(params.polyModulusDegree, seal.SecurityLevel.tc128));
  parms.setPlainModulus(seal.PlainModulus.Batching(params.polyModulusDegree, params.plainModulusBits));
  const context = seal.Context(parms, true, seal.SecurityLevel.tc128);
  parms.delete();
  if (!context.parametersSet()) {
    throw new FedsynthError(ErrorCode.InvalidConfig, 'SEAL rejected the BFV parameters', { ...params });
  }
  return context;
}

/** The plain modulus p actually chosen by SEAL for `params`. */
export function plainModulusOf(seal: SealLibrary, params: HeParams): bigint {
  const m = seal.PlainModulus.Batching(params.polyModulusDegree, params.plainModulusBits);
  const v = BigInt(m.value);
  m.delete();
  return v;
}
