// loadKit: reads and cross-checks a startup kit directory (kit.json, CA and holder certificates,
// TLS key, Ed25519 signing key) into typed PEMs, key objects and raw libsodium-form keys.
import { X509Certificate as NodeX509, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { certificateFingerprint } from './CertificateAuthority.js';
import { kitManifestProblems, type KitManifest } from './KitManifest.js';
import { peerIdentityFromCertificate, type PeerIdentity } from './peerIdentityFromCertificate.js';
import { KIT_JSON, readRequired, readRequiredJson, type KitFileNames } from './pkiFiles.js';
import { rawEd25519PublicKey } from './signingKeyBinding.js';

export interface LoadedKit {
  readonly dir: string;
  readonly manifest: KitManifest;
  /** Absolute paths of the kit's files. */
  readonly paths: { readonly [K in keyof KitFileNames]: string };
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  /** Identity as read from the holder's own certificate. */
  readonly identity: PeerIdentity;
  readonly signingKey: KeyObject;
  readonly signingPublicKey: KeyObject;
  /** Raw 32-byte Ed25519 public key. */
  readonly signingPublicKeyRaw: Uint8Array;
  /** Raw 32-byte Ed25519 seed. */
  readonly signingSeed: Uint8Array;
  /** libsodium's 64-byte Ed25519 secret key (seed || public key). */
  readonly sodiumSigningSecretKey: Uint8Array;
  /** Buffers in the shape grpc credentials (createSsl) and node:tls expect. */
  readonly tls: { readonly ca: Buffer; readonly cert: Buffer; readonly key: Buffer };
  /** Non-fatal findings, e.g. a secret file readable by group or others. */
  readonly warnings: readonly string[];
}

function invalid(dir: string, msg: string): FedsynthError {
  return new FedsynthError(ErrorCode.InvalidConfig, `startup kit ${dir}: ${msg}`, { dir });
}

/** Loads the kit in `dir`; NotFound names a missing file, InvalidConfig a mismatch between files. */
export function loadKit(dir: string): LoadedKit {
  const abs = resolve(dir);
  const raw = readRequiredJson(join(abs, KIT_JSON), 'startup kit manifest');
  const problems = kitManifestProblems(raw);
  if (problems.length > 0) throw invalid(abs, `${KIT_JSON} is invalid: ${problems.join('; ')}`);
  const manifest = raw as KitManifest;
  const f = manifest.files;
  const paths = {
    ca: join(abs, f.ca),
    cert: join(abs, f.cert),
    key: join(abs, f.key),
    signingKey: join(abs, f.signingKey),
    signingPublicKey: join(abs, f.signingPublicKey),
    signingSeed: join(abs, f.signingSeed),
  };
  const caPem = readRequired(paths.ca, 'CA certificate');
  const certPem = readRequired(paths.cert, `${manifest.role} certificate`);
  const keyPem = readRequired(paths.key, `${manifest.role} TLS private key`);
  const signingPem = readRequired(paths.signingKey, 'Ed25519 signing key');
  const seedB64 = readRequired(paths.signingSeed, 'Ed25519 signing seed').trim();
  readRequired(paths.signingPublicKey, 'Ed25519 signing public key');

  const ca = parseCert(caPem, abs, f.ca);
  const cert = parseCert(certPem, abs, f.cert);
  if (certificateFingerprint(ca.raw) !== manifest.caFingerprint) {
    throw invalid(abs, `${f.ca} does not match the CA fingerprint in ${KIT_JSON} (${manifest.caFingerprint})`);
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw invalid(abs, `${f.cert} is not signed by ${f.ca}`);
  let tlsKey: KeyObject;
  try {
    tlsKey = createPrivateKey(keyPem);
  } catch {
    throw invalid(abs, `${f.key} is not a private key`);
  }
  if (!cert.checkPrivateKey(tlsKey)) throw invalid(abs, `${f.key} does not belong to ${f.cert}`);

  const identity = peerIdentityFromCertificate(certPem);
  if (identity.partyId !== manifest.id || identity.role !== manifest.role) {
    throw invalid(abs, `${f.cert} is for ${identity.role} ${identity.partyId}, but ${KIT_JSON} says ${manifest.role} ${manifest.id}`);
  }
  let signingKey: KeyObject;
  try {
    signingKey = createPrivateKey(signingPem);
  } catch {
    throw invalid(abs, `${f.signingKey} is not a private key`);
  }
  if (signingKey.asymmetricKeyType !== 'ed25519') throw invalid(abs, `${f.signingKey} is not an Ed25519 key`);
  const signingPublicKey = createPublicKey(signingKey);
  const signingPublicKeyRaw = rawEd25519PublicKey(signingPublicKey);
  const certKey = identity.signingPublicKeyRaw;
  if (certKey === undefined || Buffer.compare(Buffer.from(certKey), Buffer.from(signingPublicKeyRaw)) !== 0) {
    throw invalid(abs, `${f.signingKey} does not match the signing key bound in ${f.cert}`);
  }
  const signingSeed = new Uint8Array(Buffer.from(seedB64, 'base64'));
  const jwkD = Buffer.from(signingKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  if (signingSeed.length !== 32 || Buffer.compare(jwkD, Buffer.from(signingSeed)) !== 0) {
    throw invalid(abs, `${f.signingSeed} does not match ${f.signingKey}`);
  }
  const sodiumSigningSecretKey = new Uint8Array(64);
  sodiumSigningSecretKey.set(signingSeed, 0);
  sodiumSigningSecretKey.set(signingPublicKeyRaw, 32);

  const warnings: string[] = [];
  for (const p of [paths.key, paths.signingKey, paths.signingSeed]) {
    if ((statSync(p).mode & 0o077) !== 0) warnings.push(`${p} is readable by group or others; run chmod 600`);
  }
  return {
    dir: abs,
    manifest,
    paths,
    caPem,
    certPem,
    keyPem,
    identity,
    signingKey,
    signingPublicKey,
    signingPublicKeyRaw,
    signingSeed,
    sodiumSigningSecretKey,
    tls: { ca: Buffer.from(caPem), cert: Buffer.from(certPem), key: Buffer.from(keyPem) },
    warnings,
  };
}

function parseCert(pem: string, dir: string, name: string): NodeX509 {
  try {
    return new NodeX509(pem);
  } catch {
    throw invalid(dir, `${name} is not a PEM certificate`);
  }
}
