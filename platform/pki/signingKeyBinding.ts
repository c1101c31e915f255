// signingKeyBinding: how a holder's Ed25519 signing key (for secure-aggregation and manifest
// signatures) is bound to its consortium certificate: a URI subject alternative name
// `urn:fedsynth:ed25519:<base64url raw key>`, so the CA signature covers it and TLS stacks ignore it.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { x509 } from './x509Runtime.js';

/** URI prefix of the signing-key SAN. A URI SAN needs no private OID (@peculiar/asn1 mis-encodes 2.25 UUID arcs). */
export const SIGNING_KEY_URI_PREFIX = 'urn:fedsynth:ed25519:';

/** Raw 32-byte Ed25519 public key (the form libsodium uses). */
export function rawEd25519PublicKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'not an Ed25519 public key');
  }
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

/** Node KeyObject for a raw 32-byte Ed25519 public key. */
export function ed25519PublicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new FedsynthError(ErrorCode.InvalidArgument, 'Ed25519 public key must be 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** The SAN URI that binds `publicKey` (Ed25519) into a certificate. */
export function signingKeyUri(publicKey: KeyObject): string {
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new FedsynthError(ErrorCode.InvalidArgument, 'signing key must be Ed25519');
  return SIGNING_KEY_URI_PREFIX + Buffer.from(rawEd25519PublicKey(publicKey)).toString('base64url');
}

/** The Ed25519 signing key bound in `cert`, or undefined when it carries none; two bindings are an error. */
export function signingKeyFromCertificate(cert: x509.X509Certificate): KeyObject | undefined {
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const uris = (san?.names.items ?? []).filter((n) => n.type === 'url' && n.value.startsWith(SIGNING_KEY_URI_PREFIX));
  if (uris.length === 0) return undefined;
  if (uris.length > 1) {
    throw new FedsynthError(ErrorCode.BadSignature, 'certificate binds more than one signing key', { serial: cert.serialNumber });
  }
  const raw = Buffer.from(uris[0]!.value.slice(SIGNING_KEY_URI_PREFIX.length), 'base64url');
  if (raw.length !== 32) {
    throw new FedsynthError(ErrorCode.BadSignature, 'certificate signing-key binding is not a 32-byte Ed25519 key', {
      serial: cert.serialNumber,
    });
  }
  return ed25519PublicKeyFromRaw(raw);
}
