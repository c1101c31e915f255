// peerIdentity: who is on the other end of a gRPC call, read ONLY from the verified mTLS client
// certificate (CN = party id, OU = role); message fields never establish identity.

import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { toGrpcError } from '../grpcErrors.js';

export interface PeerIdentity {
  partyId: string;
  role: string;
  serial: string;
  /** The peer's certificate (DER), relayed to other parties for secure-aggregation key checks. */
  certificate: Uint8Array;
}

interface CallWithAuth {
  getAuthContext?: () => { sslPeerCertificate?: { subject?: Record<string, string | string[]>; serialNumber?: string; raw?: Buffer } } | null;
}

/** Reads the peer's identity; throws UNAUTHENTICATED without a certificate or if revoked. */
export function peerIdentity(call: object, isRevoked: (serial: string) => boolean): PeerIdentity {
  const ctx = (call as unknown as CallWithAuth).getAuthContext?.();
  const cert = ctx?.sslPeerCertificate;
  const cn = cert?.subject?.CN;
  const ou = cert?.subject?.OU;
  if (!cert || typeof cn !== 'string' || cn.length === 0) {
    throw new FedsynthError(ErrorCode.Unauthenticated, 'no verified client certificate on this connection');
  }
  const serial = (cert.serialNumber ?? '').toUpperCase();
  if (isRevoked(serial)) {
    throw new FedsynthError(ErrorCode.CertificateRevoked, `certificate ${serial} of ${cn} is revoked`, { partyId: cn, serial });
  }
  return { partyId: cn, role: typeof ou === 'string' ? ou : Array.isArray(ou) ? (ou[0] ?? 'party') : 'party', serial, certificate: new Uint8Array(cert.raw ?? []) };
}

/**
 * The peer's identity if its role is one of `roles`. A verified certificate of another role is
 * PERMISSION_DENIED (the caller is known, the call is not theirs), saying what the role `mayNot` do;
 * no or a revoked certificate stays UNAUTHENTICATED.
 */
export function peerWithRole(call: object, isRevoked: (serial: string) => boolean, roles: ReadonlySet<string>, mayNot: string): PeerIdentity {
  const id = peerIdentity(call, isRevoked);
  if (!roles.has(id.role)) {
    throw new FedsynthError(ErrorCode.PermissionDenied, `role '${id.role}' may not ${mayNot} (allowed: ${[...roles].join(', ')})`, { partyId: id.partyId, role: id.role });
  }
  return id;
}

/**
 * The preamble of every gateway stream: the peer's identity (see peerWithRole), or undefined once the
 * stream is refused (logged as `refusal`, the typed error sent as the call's gRPC status).
 */
export function acceptStreamPeer(
  call: EventEmitter,
  opts: { isRevoked: (serial: string) => boolean; roles: ReadonlySet<string>; mayNot: string; refusal: string; log: Logger },
): PeerIdentity | undefined {
  try {
    return peerWithRole(call, opts.isRevoked, opts.roles, opts.mayNot);
  } catch (e) {
    opts.log.warn({ err: (e as Error).message }, opts.refusal);
    call.emit('error', toGrpcError(e));
    return undefined;
  }
}
