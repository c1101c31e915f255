// CertificateAuthority: the consortium CA directory (ECDSA P-256 self-signed root, issued-certificate
// registry, CRL, signed roster) and the signing of leaf certificates for parties, coordinator and custodian.
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { cryptoRandomSource, type RandomSource } from '../../shared/dp/random/RandomSource.js';
import { isPartyRole, type PartyRole } from '../../shared/identity/PartyRole.js';
import { normalizeSerial } from '../../shared/identity/certificateSerial.js';
import { CA_FILES, readRequired, readRequiredJson, writePrivate, writePublic } from './pkiFiles.js';
import { signingKeyUri } from './signingKeyBinding.js';
import { ECDSA_P256, webcrypto, x509 } from './x509Runtime.js';
import type { CryptoKey, CryptoKeyPair } from './x509Runtime.js';

/** One certificate the CA has issued (the registry is the CA's memory; the CRL is derived from it). */
export interface IssuedCertificate {
  readonly serial: string;
  readonly id: string;
  readonly role: PartyRole;
  readonly notBefore: string;
  readonly notAfter: string;
  /** SHA-256 of the certificate DER, lowercase hex. */
  readonly certSha256: string;
  /** Raw 32-byte Ed25519 signing public key, base64. */
  readonly signingPublicKey: string;
  revokedAt?: string;
  revocationReason?: string;
}

export interface CaRegistry {
  version: 1;
  consortium: string;
  crlNumber: number;
  issued: IssuedCertificate[];
}

/** An opened CA directory: certificate, private key and registry. */
export interface OpenedCa {
  readonly dir: string;
  readonly consortium: string;
  readonly cert: x509.X509Certificate;
  readonly certPem: string;
  /** "sha256:" + lowercase hex of the CA certificate DER. */
  readonly fingerprint: string;
  readonly privateKey: CryptoKey;
  readonly registry: CaRegistry;
}

const DAY_MS = 86_400_000;

/** "sha256:<hex>" of a DER certificate: the CA fingerprint recorded in kits. */
export function certificateFingerprint(der: ArrayBuffer | Uint8Array): string {
  return `sha256:${createHash('sha256').update(new Uint8Array(der)).digest('hex')}`;
}

/** A fresh positive 128-bit serial with a non-zero leading byte (canonical hex). */
export function randomSerial(rng: RandomSource = cryptoRandomSource()): string {
  const b = rng.nextBytes(16);
  b[0] = (b[0]! & 0x3f) | 0x40;
  return normalizeSerial(Buffer.from(b).toString('hex'));
}

export interface InitCaOptions {
  readonly consortium: string;
  readonly days?: number;
  readonly now?: Date;
}

/** Creates a new CA in `dir` (which must not already hold one). */
export async function initCa(dir: string, opts: InitCaOptions): Promise<OpenedCa> {
  if (existsSync(join(dir, CA_FILES.key)) || existsSync(join(dir, CA_FILES.cert))) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `a CA already exists in ${dir}; refusing to overwrite it`, { dir });
  }
  if (opts.consortium.trim() === '') throw new FedsynthError(ErrorCode.InvalidArgument, 'consortium name must not be empty');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = opts.now ?? new Date();
  const keys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ O: [opts.consortium] }, { CN: [`${opts.consortium} consortium CA`] }],
    notBefore: now,
    notAfter: new Date(now.getTime() + (opts.days ?? 3650) * DAY_MS),
    signingAlgorithm: ECDSA_P256,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  writePrivate(join(dir, CA_FILES.key), x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
  const certPem = cert.toString('pem');
  writePublic(join(dir, CA_FILES.cert), certPem + '\n');
  const fingerprint = certificateFingerprint(cert.rawData);
  writePublic(
    join(dir, CA_FILES.meta),
    JSON.stringify({ version: 1, consortium: opts.consortium, caFingerprint: fingerprint, createdAt: now.toISOString() }, null, 2) + '\n',
  );
  const registry: CaRegistry = { version: 1, consortium: opts.consortium, crlNumber: 0, issued: [] };
  const ca: OpenedCa = { dir, consortium: opts.consortium, cert, certPem, fingerprint, privateKey: keys.privateKey, registry };
  saveRegistry(ca);
  return ca;
}

/** Opens an existing CA directory (certificate, private key, registry). */
export async function openCa(dir: string): Promise<OpenedCa> {
  const certPem = readRequired(join(dir, CA_FILES.cert), 'CA certificate').trim();
  const keyPem = readRequired(join(dir, CA_FILES.key), 'CA private key');
  const registry = parseRegistry(readRequiredJson(join(dir, CA_FILES.registry), 'CA registry'), join(dir, CA_FILES.registry));
  const cert = new x509.X509Certificate(certPem);
  const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  return {
    dir,
    consortium: registry.consortium,
    cert,
    certPem,
    fingerprint: certificateFingerprint(cert.rawData),
    privateKey,
    registry,
  };
}

function parseRegistry(raw: unknown, file: string): CaRegistry {
  const r = raw as Partial<CaRegistry> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    r.version !== 1 ||
    typeof r.consortium !== 'string' ||
    typeof r.crlNumber !== 'number' ||
    !Array.isArray(r.issued) ||
    !r.issued.every((e) => typeof e?.serial === 'string' && typeof e.id === 'string' && isPartyRole(e.role))
  ) {
    throw new FedsynthError(ErrorCode.CorruptState, `CA registry ${file} is malformed`, { file });
  }
  return r as CaRegistry;
}

/** Persists the registry (issued certificates, revocations, CRL number). */
export function saveRegistry(ca: OpenedCa): void {
  writePublic(join(ca.dir, CA_FILES.registry), JSON.stringify(ca.registry, null, 2) + '\n');
}

export interface LeafRequest {
  readonly id: string;
  readonly role: PartyRole;
  /** The holder's TLS public key (ECDSA P-256). */
  readonly publicKey: CryptoKey;
  /** The holder's Ed25519 signing key, bound into the certificate. */
  readonly signingPublicKey: KeyObject;
  /** Subject alternative names (coordinator server certificates). */
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly days?: number;
  readonly now?: Date;
}

/** Signs a leaf certificate: CN = id, OU = role, O = consortium; records it in the registry (not yet saved). */
export async function signLeaf(ca: OpenedCa, req: LeafRequest): Promise<{ cert: x509.X509Certificate; serial: string }> {
  const now = req.now ?? new Date();
  const serial = randomSerial();
  const server = req.role === 'coordinator';
  const eku = server ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth] : [x509.ExtendedKeyUsage.clientAuth];
  const sans = [
    ...(req.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(req.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
    { type: 'url' as const, value: signingKeyUri(req.signingPublicKey) },
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    await x509.SubjectKeyIdentifierExtension.create(req.publicKey),
    new x509.SubjectAlternativeNameExtension(sans, false),
  ];
  const notAfter = new Date(Math.min(now.getTime() + (req.days ?? 730) * DAY_MS, ca.cert.notAfter.getTime()));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: [{ O: [ca.consortium] }, { OU: [req.role] }, { CN: [req.id] }],
    issuer: ca.cert.subjectName,
    notBefore: now,
    notAfter,
    signingAlgorithm: ECDSA_P256,
    publicKey: req.publicKey,
    signingKey: ca.privateKey,
    extensions,
  });
  const raw = req.signingPublicKey.export({ format: 'jwk' }).x ?? '';
  ca.registry.issued.push({
    serial,
    id: req.id,
    role: req.role,
    notBefore: now.toISOString(),
    notAfter: notAfter.toISOString(),
    certSha256: certificateFingerprint(cert.rawData).slice('sha256:'.length),
    signingPublicKey: Buffer.from(raw, 'base64url').toString('base64'),
  });
  return { cert, serial };
}

/** Active (unrevoked, unexpired) certificates of `id` in `role`. */
export function activeCertificates(ca: OpenedCa, id: string, role: PartyRole, now = new Date()): IssuedCertificate[] {
  return ca.registry.issued.filter(
    (e) => e.id === id && e.role === role && e.revokedAt === undefined && new Date(e.notAfter).getTime() > now.getTime(),
  );
}

/** The `kits/` folder inside the CA directory (where `pki init` puts the coordinator kit), created on demand. */
export function kitsDir(ca: OpenedCa): string {
  const d = join(ca.dir, CA_FILES.kitsDir);
  if (!existsSync(d)) mkdirSync(d, { recursive: true, mode: 0o700 });
  return d;
}
