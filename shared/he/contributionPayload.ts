// contributionPayload: the bytes a party signs for an HE contribution: round, party, length and
// the SHA-256 of every serialised ciphertext, so any tampered or swapped ciphertext is detected.
import { createHash } from 'node:crypto';
import { encodeFields } from '../secagg/SecAggTranscripts.js';

/** Length-prefixed encoding of the contribution's identity and ciphertext digests. */
export function contributionPayload(roundId: string, partyId: string, vectorLength: number, ciphertexts: readonly Uint8Array[]): Uint8Array {
  const digests = ciphertexts.map((c) => new Uint8Array(createHash('sha256').update(c).digest()));
  return encodeFields('he-contribution', [roundId, partyId, String(vectorLength), String(ciphertexts.length), ...digests]);
}
