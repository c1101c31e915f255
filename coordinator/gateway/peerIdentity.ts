// peerIdentity: who is on the other end of a gRPC call, read ONLY from the verified mTLS client
// certificate (CN = party id, OU = role); message fields never establish identity.

import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

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
