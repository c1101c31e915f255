// SecAggTranscripts: the exact byte strings that are signed, committed to, used as AEAD associated
// data or as HKDF labels; each is an unambiguous length-prefixed encoding starting with a label.
import { createHash } from 'node:crypto';

const PREFIX = 'fedsynth/secagg/v1/';

/** Length-prefixed concatenation (4-byte big-endian length, then the bytes; strings as UTF-8). */
export function encodeFields(label: string, fields: readonly (string | Uint8Array)[]): Uint8Array {
  const parts = [PREFIX + label, ...fields].map((f) => (typeof f === 'string' ? Buffer.from(f, 'utf8') : f));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let o = 0;
  for (const p of parts) {
    view.setUint32(o, p.length);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}

/** What a party signs when it advertises its two public keys and its self-mask seed commitment. */
export function advertisePayload(roundId: string, partyId: string, cPk: Uint8Array, sPk: Uint8Array, seedCommitment: Uint8Array): Uint8Array {
  return encodeFields('advertise', [roundId, partyId, cPk, sPk, seedCommitment]);
}

/** What a party signs in the consistency check: the survivor set U3 (in config order). */
export function consistencyPayload(roundId: string, survivors: readonly string[]): Uint8Array {
  return encodeFields('consistency', [roundId, String(survivors.length), ...survivors]);
}

/** Hash commitment to the self-mask seed b_u (b_u is 32 uniform bytes, so this hides it). */
export function seedCommitment(roundId: string, partyId: string, seed: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(encodeFields('seed-commitment', [roundId, partyId, seed])).digest());
}

/** AEAD associated data of a share envelope: binds sender, recipient and round. */
export function shareAssociatedData(roundId: string, from: string, to: string): Uint8Array {
  return encodeFields('share', [roundId, from, to]);
}

/** HKDF label of the directional share-encryption key from -> to. */
export function shareKeyLabel(from: string, to: string): Uint8Array {
  return encodeFields('share-key', [from, to]);
}

/** HKDF label of the pairwise mask between two parties (lower config index first). */
export function pairMaskLabel(low: string, high: string): Uint8Array {
  return encodeFields('mask-pair', [low, high]);
}

/** HKDF label of a party's self mask. */
export function selfMaskLabel(partyId: string): Uint8Array {
  return encodeFields('mask-self', [partyId]);
}
