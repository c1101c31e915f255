// heKeyEndorsement: the key custodian's signature over a study's HE public key, so a party encrypts
// only under a key the custodian holds (never one a coordinator substituted): payload, sign, verify.
import { createHash } from 'node:crypto';
import { encodeFields } from '../secagg/SecAggTranscripts.js';
import { loadSodium } from '../secagg/sodium.js';
import type { HeParams } from './HeParameters.js';

/** Everything the custodian vouches for about one study key. */
export interface HeKeyStatement {
  studyId: string;
  keyId: string;
  params: HeParams;
  /** The key's t: the custodian decrypts no sum of fewer contributors. */
  minContributors: number;
  /** SEAL PublicKey.saveArray bytes, exactly as relayed to the parties. */
  publicKey: Uint8Array;
  /** studySpecHash of the announced study the custodian derived t from ('' for keys made before it). */
  specHash: string;
}

/**
 * The signed bytes: length-prefixed fields under the label `he-public-key` (the same framing as
 * every other fedsynth signature, so no payload of another kind can be mistaken for this one):
 * study, key id, N, plain-modulus bits, t, SHA-256 of the public key, and the study's spec hash.
 */
export function heKeyEndorsementPayload(s: HeKeyStatement): Uint8Array {
  const digest = new Uint8Array(createHash('sha256').update(s.publicKey).digest());
  return encodeFields('he-public-key', [s.studyId, s.keyId, String(s.params.polyModulusDegree), String(s.params.plainModulusBits), String(s.minContributors), digest, s.specHash]);
}

/** Ed25519 signature (libsodium secret key: seed || public key, 64 bytes). */
export async function signHeKey(s: HeKeyStatement, signingSecretKey: Uint8Array): Promise<Uint8Array> {
  const sodium = await loadSodium();
  return sodium.crypto_sign_detached(heKeyEndorsementPayload(s), signingSecretKey);
}

/** True when `signature` is the custodian key's Ed25519 signature over exactly this statement. */
export async function verifyHeKeySignature(s: HeKeyStatement, signature: Uint8Array, signingPublicKey: Uint8Array): Promise<boolean> {
  if (signature.byteLength !== 64 || signingPublicKey.byteLength !== 32) return false;
  const sodium = await loadSodium();
  try {
    return sodium.crypto_sign_verify_detached(signature, heKeyEndorsementPayload(s), signingPublicKey);
  } catch {
    return false;
  }
}
