// secaggWire: converts between the secure-aggregation messages of shared/secagg (domain types) and
// their protocol-v1 forms (RoundRequest/RoundReply stages), in both directions, at the edge.
//
// Uploads (party -> coordinator) are compact: nothing the coordinator already knows is sent. The
// sender's id and certificate come from the mTLS session, so replies carry no party_id, from_party
// or certificate; share envelopes and revealed shares are positional (to_party / of_party empty:
// the i-th envelope is for the sender's i-th neighbour in round order, the i-th revealed share is
// of the i-th party the unmask request named), which SecAggServer resolves and checks. Relayed
// requests (coordinator -> party) keep every id and the certificates peers need.
import type { RoundReply, RoundRequest, SignedKeys as WireSignedKeys, EncryptedShare as WireShare } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { EncryptedShare, PartyReply, ServerRequest, SignedKeys } from '../../shared/secagg/SecAggMessages.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

type RequestStage = NonNullable<RoundRequest['stage']>;
type ReplyStage = NonNullable<RoundReply['stage']>;

const buf = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b);

export function keysToWire(k: SignedKeys, certificate: Uint8Array): WireSignedKeys {
  return { partyId: k.partyId, cipherPublicKey: buf(k.cPk), maskPublicKey: buf(k.sPk), seedCommitment: buf(k.seedCommitment), signature: buf(k.signature), certificate: buf(certificate) };
}

export function keysFromWire(k: WireSignedKeys): SignedKeys {
  return { partyId: k.partyId, cPk: bytes(k.cipherPublicKey), sPk: bytes(k.maskPublicKey), seedCommitment: bytes(k.seedCommitment), signature: bytes(k.signature) };
}

const shareToWire = (s: EncryptedShare): WireShare => ({ fromParty: s.from, toParty: s.to, nonce: buf(s.nonce), ciphertext: buf(s.ciphertext) });
const shareFromWire = (s: WireShare): EncryptedShare => ({ from: s.fromParty, to: s.toParty, nonce: bytes(s.nonce), ciphertext: bytes(s.ciphertext) });
/** An uploaded envelope: sender implied by the session, recipient by position. */
const uploadShareToWire = (s: EncryptedShare): WireShare => ({ fromParty: '', toParty: '', nonce: buf(s.nonce), ciphertext: buf(s.ciphertext) });

/** A coordinator request (stages after advertiseKeys) as a RoundRequest stage. */
export function requestToWire(req: ServerRequest, certificates: (partyId: string) => Uint8Array): RequestStage {
  switch (req.stage) {
    case 'advertiseKeys':
      return { $case: 'advertiseKeys', value: {} };
    case 'shareKeys':
      return { $case: 'shareKeys', value: { keys: req.keys.map((k) => keysToWire(k, certificates(k.partyId))) } };
    case 'maskedInput':
      return { $case: 'maskedInput', value: { shares: req.shares.map(shareToWire) } };
    case 'consistency':
      return { $case: 'consistency', value: { survivors: req.survivors } };
    case 'unmask':
      return {
        $case: 'unmask',
        value: { survivors: req.survivors, signatures: req.signatures.map((s) => ({ partyId: s.partyId, signature: buf(s.signature) })), seedsFor: req.seedsFor, keysFor: req.keysFor },
      };
  }
}

/** A RoundRequest stage as a shared/secagg request (certificates are returned separately). */
export function requestFromWire(roundId: string, stage: RequestStage): { request: ServerRequest; certificates: Map<string, Uint8Array> } {
  const certificates = new Map<string, Uint8Array>();
  switch (stage.$case) {
    case 'shareKeys':
      for (const k of stage.value.keys) certificates.set(k.partyId, bytes(k.certificate));
      return { request: { stage: 'shareKeys', roundId, keys: stage.value.keys.map(keysFromWire) }, certificates };
    case 'maskedInput':
      return { request: { stage: 'maskedInput', roundId, shares: stage.value.shares.map(shareFromWire) }, certificates };
    case 'consistency':
      return { request: { stage: 'consistency', roundId, survivors: stage.value.survivors }, certificates };
    case 'unmask':
      return {
        request: {
          stage: 'unmask',
          roundId,
          survivors: stage.value.survivors,
          signatures: stage.value.signatures.map((s) => ({ partyId: s.partyId, signature: bytes(s.signature) })),
          seedsFor: stage.value.seedsFor,
          keysFor: stage.value.keysFor,
        },
        certificates,
      };
    default:
      throw new FedsynthError(ErrorCode.ProtocolViolation, `round_request.stage ${stage.$case} is not a secure-aggregation stage`, { field: 'round_request.stage' });
  }
}

/**
 * A party's reply as a compact RoundReply stage (see the header). `_certificate` is not sent: the
 * coordinator already holds it from the party's mTLS session (kept in the signature for callers).
 */
export function replyToWire(reply: PartyReply, _certificate?: Uint8Array): ReplyStage {
  switch (reply.stage) {
    case 'advertiseKeys':
      return { $case: 'keys', value: { keys: { ...keysToWire(reply.keys, new Uint8Array(0)), partyId: '' } } };
    case 'shareKeys':
      return { $case: 'shares', value: { shares: reply.shares.map(uploadShareToWire) } };
    case 'maskedInput':
      return { $case: 'masked', value: { maskedVector: buf(reply.masked) } };
    case 'consistency':
      return { $case: 'consistencySignature', value: { signature: buf(reply.signature) } };
    case 'unmask':
      return {
        $case: 'unmaskShares',
        value: { seedShares: reply.seedShares.map((r) => ({ ofParty: '', share: buf(r.share) })), keyShares: reply.keyShares.map((r) => ({ ofParty: '', share: buf(r.share) })) },
      };
  }
}

/**
 * A RoundReply stage as a shared/secagg reply from `from` (identity from the TLS certificate). An
 * empty party_id / from_party means `from`; an empty to_party / of_party stays '' (positional,
 * resolved by SecAggServer); a non-empty one is kept as sent, and checked.
 */
export function replyFromWire(roundId: string, from: string, stage: ReplyStage): { reply: PartyReply; certificate?: Uint8Array } {
  switch (stage.$case) {
    case 'keys': {
      const k = stage.value.keys;
      if (!k) throw new FedsynthError(ErrorCode.ProtocolViolation, 'round_reply.keys.keys is missing', { field: 'round_reply.keys.keys' });
      const keys = keysFromWire(k);
      return { reply: { stage: 'advertiseKeys', roundId, from, keys: { ...keys, partyId: keys.partyId || from } }, certificate: bytes(k.certificate) };
    }
    case 'shares':
      return { reply: { stage: 'shareKeys', roundId, from, shares: stage.value.shares.map((s) => ({ ...shareFromWire(s), from: s.fromParty || from })) } };
    case 'masked':
      return { reply: { stage: 'maskedInput', roundId, from, masked: bytes(stage.value.maskedVector) } };
    case 'consistencySignature':
      return { reply: { stage: 'consistency', roundId, from, signature: bytes(stage.value.signature) } };
    case 'unmaskShares':
      return {
        reply: {
          stage: 'unmask',
          roundId,
          from,
          seedShares: stage.value.seedShares.map((r) => ({ of: r.ofParty, share: bytes(r.share) })),
          keyShares: stage.value.keyShares.map((r) => ({ of: r.ofParty, share: bytes(r.share) })),
        },
      };
    default:
      throw new FedsynthError(ErrorCode.ProtocolViolation, `round_reply.stage ${stage.$case} is not a secure-aggregation reply`, { field: 'round_reply.stage' });
  }
}
