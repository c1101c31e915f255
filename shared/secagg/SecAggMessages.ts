// SecAggMessages: the transport-free messages of one secure-aggregation round, as plain objects of
// binary fields, one request (coordinator -> party) and one reply (party -> coordinator) per stage.
import type { SecAggStage } from './SecAggStage.js';

/** A party's signed advertisement (Bonawitz round 0): c_pk for share encryption, s_pk for masks. */
export interface SignedKeys {
  partyId: string;
  cPk: Uint8Array;
  sPk: Uint8Array;
  /** SHA-256 commitment to the self-mask seed b_u, so the coordinator can verify its reconstruction. */
  seedCommitment: Uint8Array;
  /** Ed25519 signature over advertisePayload(roundId, partyId, cPk, sPk, seedCommitment). */
  signature: Uint8Array;
}

/** Shares of b_from and s_sk_from for `to`, XChaCha20-Poly1305 under the directional pairwise key. */
export interface EncryptedShare {
  from: string;
  to: string;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

/** A revealed Shamir share of the secret of party `of`. */
export interface RevealedShare {
  of: string;
  share: Uint8Array;
}

/** A consistency signature over the survivor set. */
export interface SurvivorSignature {
  partyId: string;
  signature: Uint8Array;
}

/** Coordinator -> party messages, one per stage. */
export type ServerRequest =
  | { stage: 'advertiseKeys'; roundId: string }
  | { stage: 'shareKeys'; roundId: string; keys: SignedKeys[] }
  | { stage: 'maskedInput'; roundId: string; shares: EncryptedShare[] }
  | { stage: 'consistency'; roundId: string; survivors: string[] }
  | {
      stage: 'unmask';
      roundId: string;
      survivors: string[];
      signatures: SurvivorSignature[];
      /** Survivors (U3) whose self-mask seed shares are requested. */
      seedsFor: string[];
      /** Dropped parties (U2 \ U3) whose mask secret key shares are requested. */
      keysFor: string[];
    };

/** Party -> coordinator messages, one per stage. */
export type PartyReply =
  | { stage: 'advertiseKeys'; roundId: string; from: string; keys: SignedKeys }
  | { stage: 'shareKeys'; roundId: string; from: string; shares: EncryptedShare[] }
  | { stage: 'maskedInput'; roundId: string; from: string; masked: Uint8Array }
  | { stage: 'consistency'; roundId: string; from: string; signature: Uint8Array }
  | { stage: 'unmask'; roundId: string; from: string; seedShares: RevealedShare[]; keyShares: RevealedShare[] };

/** The request of one given stage. */
export type RequestOf<S extends SecAggStage> = Extract<ServerRequest, { stage: S }>;
/** The reply of one given stage. */
export type ReplyOf<S extends SecAggStage> = Extract<PartyReply, { stage: S }>;

/** Approximate wire size of a message: bytes of every binary field plus UTF-8 strings (for benches). */
export function messageBytes(msg: unknown): number {
  if (msg instanceof Uint8Array) return msg.byteLength;
  if (typeof msg === 'string') return Buffer.byteLength(msg, 'utf8');
  if (typeof msg === 'number') return 4;
  if (Array.isArray(msg)) return msg.reduce((n: number, x: unknown) => n + messageBytes(x), 0);
  if (typeof msg === 'object' && msg !== null) return Object.values(msg).reduce((n: number, x: unknown) => n + messageBytes(x), 0);
  return 0;
}
