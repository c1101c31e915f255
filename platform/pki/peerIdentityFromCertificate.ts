// peerIdentityFromCertificate: who a TLS peer is, taken from its consortium certificate only
// (CN = party id, OU = role, serial), plus full verification of a presented certificate against the trust.
import { X509Certificate as NodeX509, type KeyObject } from 'node:crypto';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { isPartyRole, type PartyRole } from '../../shared/identity/PartyRole.js';
import { isRevoked, normalizeSerial } from '../../shared/identity/certificateSerial.js';
import type { Trust } from './loadTrust.js';
import { rawEd25519PublicKey, signingKeyFromCertificate } from './signingKeyBinding.js';
import { x509 } from './x509Runtime.js';

export interface PeerIdentity {
  readonly partyId: string;
  readonly role: PartyRole;
  /** Canonical serial (see normalizeSerial). */
  readonly serial: string;
  readonly consortium: string;
  /** The Ed25519 signing key bound in the certificate (absent only in foreign certificates). */
  readonly signingPublicKey?: KeyObject;
  readonly signingPublicKeyRaw?: Uint8Array;
}

/** DER bytes, a PEM string, or the object returned by tls `getPeerCertificate()` (its `raw` field). */
export type CertificateInput = Uint8Array | string | { readonly raw: Uint8Array };

function toX509(input: CertificateInput): x509.X509Certificate {
  const data = typeof input === 'string' || input instanceof Uint8Array ? input : input.raw;
  if (data === undefined || (typeof data !== 'string' && data.length === 0)) {
    throw new FedsynthError(ErrorCode.Unauthenticated, 'peer presented no certificate');
  }
  try {
    return new x509.X509Certificate(typeof data === 'string' ? data : new Uint8Array(data));
  } catch {
    throw new FedsynthError(ErrorCode.Unauthenticated, 'peer certificate cannot be parsed');
  }
}

function single(cert: x509.X509Certificate, field: string): string {
  const values = cert.subjectName.getField(field);
  if (values.length !== 1 || values[0] === '') {
    throw new FedsynthError(ErrorCode.Unauthenticated, `peer certificate must have exactly one subject ${field}`, {
      serial: cert.serialNumber,
    });
  }
  return values[0]!;
}

/**
 * Identity of a peer whose certificate chain the TLS layer has ALREADY verified (mTLS with
 * rejectUnauthorized). Does not check the CA signature or revocation: use verifyPeerCertificate for that.
 */
export function peerIdentityFromCertificate(input: CertificateInput): PeerIdentity {
  const cert = toX509(input);
  const partyId = single(cert, 'CN');
  const role = single(cert, 'OU');
  if (!isPartyRole(role)) {
    throw new FedsynthError(ErrorCode.Unauthenticated, `peer certificate has unknown role OU=${role}`, { partyId });
  }
  const signingPublicKey = signingKeyFromCertificate(cert);
  return {
    partyId,
    role,
    serial: normalizeSerial(cert.serialNumber),
    consortium: single(cert, 'O'),
    signingPublicKey,
    signingPublicKeyRaw: signingPublicKey === undefined ? undefined : rawEd25519PublicKey(signingPublicKey),
  };
}

/**
 * Full check of a certificate presented outside TLS (e.g. relayed by the coordinator) or at the
 * gRPC edge: signed by the consortium CA, within its validity period, not revoked, carries a
 * signing key. Throws Unauthenticated, CertificateRevoked or BadSignature.
 */
export function verifyPeerCertificate(input: CertificateInput, trust: Trust, now = new Date()): PeerIdentity {
  const cert = toX509(input);
  const node = new NodeX509(Buffer.from(cert.rawData));
  const ca = new NodeX509(trust.caPem);
  if (!node.checkIssued(ca) || !node.verify(ca.publicKey)) {
    throw new FedsynthError(ErrorCode.Unauthenticated, 'peer certificate is not issued by the consortium CA', {
      serial: cert.serialNumber,
    });
  }
  if (now < cert.notBefore || now > cert.notAfter) {
    throw new FedsynthError(ErrorCode.Unauthenticated, 'peer certificate is expired or not yet valid', { serial: cert.serialNumber });
  }
  const id = peerIdentityFromCertificate(cert.rawData instanceof ArrayBuffer ? new Uint8Array(cert.rawData) : cert.rawData);
  if (isRevoked(id.serial, trust.crl)) {
    throw new FedsynthError(ErrorCode.CertificateRevoked, `certificate ${id.serial} of ${id.role} ${id.partyId} is revoked`, {
      partyId: id.partyId,
      serial: id.serial,
    });
  }
  if (id.signingPublicKey === undefined) {
    throw new FedsynthError(ErrorCode.BadSignature, `certificate of ${id.partyId} carries no signing key`, { partyId: id.partyId });
  }
  return id;
}

export { isRevoked };

/** A verified certificate's holder, role and Ed25519 signing key (what secure aggregation and HE key checks need). */
export interface VerifiedSigner {
  partyId: string;
  role: PartyRole;
  signingPublicKeyRaw: Uint8Array;
}

/** `verifyPeerCertificate` against `trust`, reduced to the signer (the agents' relayed-certificate check). */
export function signerVerifier(trust: Trust): (certificate: Uint8Array) => VerifiedSigner {
  return (certificate) => {
    const peer = verifyPeerCertificate(certificate, trust);
    return { partyId: peer.partyId, role: peer.role, signingPublicKeyRaw: peer.signingPublicKeyRaw! };
  };
}
