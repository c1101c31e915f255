// publishTrustState: regenerates the CA's public trust files after every change: the X.509 CRL
// (crl.pem, CA-signed, increasing CRL number) and the CA-signed roster of active members (roster.json).
import { join } from 'node:path';
import { CA_FILES, writePublic } from './pkiFiles.js';
import { saveRegistry, type OpenedCa } from './CertificateAuthority.js';
import { signRoster, type RosterEntry } from './Roster.js';
import { ECDSA_P256, x509 } from './x509Runtime.js';

const CRL_VALIDITY_DAYS = 30;

/** Writes issued.json, crl.pem and roster.json for the current registry. */
export async function publishTrustState(ca: OpenedCa, now = new Date()): Promise<void> {
  ca.registry.crlNumber += 1;
  const revoked = ca.registry.issued.filter((e) => e.revokedAt !== undefined);
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.cert.subjectName,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + CRL_VALIDITY_DAYS * 86_400_000),
    signingAlgorithm: ECDSA_P256,
    signingKey: ca.privateKey,
    extensions: [
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
      new x509.Extension('2.5.29.20', false, derInteger(ca.registry.crlNumber)), // cRLNumber (RFC 5280 §5.2.3)
    ],
    entries: revoked.map((e) => ({
      serialNumber: e.serial,
      revocationDate: new Date(e.revokedAt!),
      reason: reasonCode(e.revocationReason),
    })),
  });
  // RFC 7468 label "X509 CRL" (what OpenSSL and node:tls expect), not the library's "CRL".
  writePublic(join(ca.dir, CA_FILES.crl), x509.PemConverter.encode(crl.rawData, 'X509 CRL') + '\n');
  const entries: RosterEntry[] = ca.registry.issued
    .filter((e) => e.revokedAt === undefined && new Date(e.notAfter).getTime() > now.getTime())
    .map((e) => ({
      id: e.id,
      role: e.role,
      serial: e.serial,
      signingPublicKey: e.signingPublicKey,
      certSha256: e.certSha256,
      notAfter: e.notAfter,
    }));
  const roster = await signRoster({ version: 1, consortium: ca.consortium, issuedAt: now.toISOString(), entries }, ca.privateKey);
  writePublic(join(ca.dir, CA_FILES.roster), JSON.stringify(roster, null, 2) + '\n');
  saveRegistry(ca);
}

/** Maps a revocation reason word to the RFC 5280 CRLReason code. */
function reasonCode(reason: string | undefined): x509.X509CrlReason {
  switch (reason) {
    case 'keyCompromise':
      return x509.X509CrlReason.keyCompromise;
    case 'superseded':
      return x509.X509CrlReason.superseded;
    case 'cessationOfOperation':
      return x509.X509CrlReason.cessationOfOperation;
    default:
      return x509.X509CrlReason.unspecified;
  }
}

/** DER INTEGER for a small non-negative number. */
function derInteger(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return new Uint8Array([0x02, bytes.length, ...bytes]);
}
