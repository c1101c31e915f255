// ShareEnvelope: seals and opens one party-to-party bundle of Shamir shares (seed share, key share)
// with XChaCha20-Poly1305; the key is HKDF of X25519(c_sk, c_pk) for the direction from -> to.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';
import { deriveKey } from './MaskPrg.js';
import type { EncryptedShare } from './SecAggMessages.js';
import { shareAssociatedData, shareKeyLabel } from './SecAggTranscripts.js';
import type { Sodium } from './sodium.js';

/** Length of one Shamir share of a 32-byte secret (32 bytes + the x-coordinate byte). */
export const SHARE_LENGTH = 33;

/** The plaintext content of an envelope. */
export interface ShareBundle {
  seedShare: Uint8Array;
  keyShare: Uint8Array;
}

/** X25519 then HKDF: the directional key for envelopes from -> to (either side can compute it). */
export function envelopeKey(sodium: Sodium, mySecret: Uint8Array, peerPublic: Uint8Array, roundId: string, from: string, to: string): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = sodium.crypto_scalarmult(mySecret, peerPublic);
  } catch {
    throw new FedsynthError(ErrorCode.ProtocolViolation, 'invalid X25519 public key (low order)', { from, to });
  }
  return deriveKey(shared, roundId, shareKeyLabel(from, to));
}

/** Seals a bundle; the nonce (24 bytes) comes from the caller's RandomSource. */
export function sealShares(sodium: Sodium, key: Uint8Array, nonce: Uint8Array, roundId: string, from: string, to: string, bundle: ShareBundle): EncryptedShare {
  const pt = new Uint8Array(2 * SHARE_LENGTH);
  pt.set(bundle.seedShare, 0);
  pt.set(bundle.keyShare, SHARE_LENGTH);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(pt, shareAssociatedData(roundId, from, to), null, nonce, key);
  return { from, to, nonce, ciphertext };
}

/** Opens an envelope addressed to `to`; any tampering, wrong recipient, sender or round is refused. */
export function openShares(sodium: Sodium, key: Uint8Array, roundId: string, to: string, env: EncryptedShare): ShareBundle {
  if (env.to !== to) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, 'share envelope addressed to another party', { from: env.from, to: env.to, me: to });
  }
  if (env.nonce.length !== sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES) {
    throw new FedsynthError(ErrorCode.ProtocolViolation, 'share envelope nonce has the wrong length', { from: env.from });
  }
  let pt: Uint8Array;
  try {
    pt = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, env.ciphertext, shareAssociatedData(roundId, env.from, to), env.nonce, key);
  } catch {
    throw new FedsynthError(ErrorCode.ProtocolViolation, 'share envelope failed authentication (tampered, misaddressed or from another round)', {
      from: env.from,
      to,
    });
  }
  if (pt.length !== 2 * SHARE_LENGTH) throw new FedsynthError(ErrorCode.ProtocolViolation, 'share envelope has the wrong length', { from: env.from });
  return { seedShare: pt.slice(0, SHARE_LENGTH), keyShare: pt.slice(SHARE_LENGTH) };
}
