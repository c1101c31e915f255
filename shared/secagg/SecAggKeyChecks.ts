// SecAggKeyChecks: the key checks both sides of the round share: verifying a signed advertisement
// against the PKI, and deriving the pairwise mask key from X25519 + HKDF (Bonawitz et al., Sec. 4).
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { deriveKey } from './MaskPrg.js';
import type { RoundConfig } from './RoundConfig.js';
import type { SignedKeys } from './SecAggMessages.js';
import { advertisePayload, pairMaskLabel } from './SecAggTranscripts.js';
import type { Sodium } from './sodium.js';

/** Looks up a party's Ed25519 identity public key in the consortium PKI (undefined if unknown). */
export type IdentityLookup = (partyId: string) => Uint8Array | undefined;

/** Verifies one advertisement's Ed25519 signature against the PKI; BadSignature otherwise. */
export function verifyAdvertisement(sodium: Sodium, roundId: string, k: SignedKeys, pki: IdentityLookup, verifier: string): void {
  const pk = pki(k.partyId);
  const payload = advertisePayload(roundId, k.partyId, k.cPk, k.sPk, k.seedCommitment);
  const ok =
    pk !== undefined &&
    k.cPk.length === sodium.crypto_box_PUBLICKEYBYTES &&
    k.sPk.length === sodium.crypto_box_PUBLICKEYBYTES &&
    k.signature.length === sodium.crypto_sign_BYTES &&
    sodium.crypto_sign_verify_detached(k.signature, payload, pk);
  if (!ok) throw new FedsynthError(ErrorCode.BadSignature, 'advertised keys are not signed by the party\'s identity key', { peer: k.partyId, verifier, roundId });
}

/** The AES key of the pairwise mask between `me` and `peer` (both sides derive the same key). */
export function pairMaskKey(sodium: Sodium, cfg: RoundConfig, mySecret: Uint8Array, peerPublic: Uint8Array, me: string, peer: string): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = sodium.crypto_scalarmult(mySecret, peerPublic);
  } catch {
    throw new FedsynthError(ErrorCode.ProtocolViolation, 'invalid X25519 public key (low order)', { peer });
  }
  const [low, high] = cfg.parties.indexOf(me) < cfg.parties.indexOf(peer) ? [me, peer] : [peer, me];
  return deriveKey(shared, cfg.roundId, pairMaskLabel(low, high));
}
