// generateHeKeys: a fresh BFV key pair under a context, shared by the in-process custodian role
// (HeCustodian) and the custodian process's durable key pair (custodian/HeKeyPair).
import type { SealContext, SealLibrary } from './HeParameters.js';

/**
 * SEAL draws key randomness from its own OS-seeded PRNG inside WebAssembly (node-seal offers no
 * way to seed it), so keys are never reproducible. Returns the secret key (a WebAssembly object
 * the caller must `delete()`) and the public key as SEAL `saveArray` bytes (zstd).
 */
export function generateHeKeys(seal: SealLibrary, context: SealContext): { secretKey: ReturnType<SealLibrary['SecretKey']>; publicKey: Uint8Array } {
  const keygen = seal.KeyGenerator(context);
  const secretKey = keygen.secretKey();
  const pk = keygen.createPublicKey();
  const publicKey = pk.saveArray(seal.ComprModeType.zstd);
  pk.delete();
  keygen.delete();
  return { secretKey, publicKey };
}
