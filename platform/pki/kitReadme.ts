// kitReadme: the README.txt placed in every startup kit, written for the hospital (or operator)
// IT team that installs it: what each file is, which ones are secret, how to check the CA.
import type { KitManifest } from './KitManifest.js';

/** Plain-text instructions for the kit holder's IT team. */
export function kitReadme(m: KitManifest, sanHosts: readonly string[]): string {
  const f = m.files;
  const colonFp = m.caFingerprint
    .slice('sha256:'.length)
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1:');
  const roleLine =
    m.role === 'party'
      ? `This kit lets the fedsynth party agent of "${m.id}" connect to the consortium coordinator at ${m.coordinator}.`
      : m.role === 'coordinator'
        ? `This kit is the fedsynth coordinator's server identity (serving ${m.coordinator}; certificate valid for: ${sanHosts.join(', ')}).`
        : `This kit is the identity of the key custodian "${m.id}" (connects to ${m.coordinator}).`;
  return `fedsynth startup kit - consortium "${m.consortium}", ${m.role} "${m.id}"
${'='.repeat(60)}

${roleLine}

Files
  ${f.ca.padEnd(14)} consortium CA certificate (public). Only peers signed by this CA are trusted.
  ${f.cert.padEnd(14)} this ${m.role}'s mTLS certificate (public; CN=${m.id}, OU=${m.role}, serial ${m.certSerial}).
  ${f.key.padEnd(14)} SECRET mTLS private key (mode 0600).
  ${f.signingKey.padEnd(14)} SECRET Ed25519 signing key (PKCS#8 PEM, mode 0600), used to sign protocol messages.
  ${f.signingSeed.padEnd(14)} SECRET the same key as a raw 32-byte seed in base64 (mode 0600).
  ${f.signingPublicKey.padEnd(14)} Ed25519 public key (public; also embedded in ${f.cert}).
  kit.json       machine-readable description of this kit (public).

Install
  1. Copy this whole directory to the machine that runs the ${m.role === 'party' ? 'party agent' : m.role}.
     Keep it owned by the service account, directory mode 0700, key files mode 0600.
  2. Check the CA certificate out of band (phone or signed e-mail with the consortium operator):
       openssl x509 -in ${f.ca} -noout -fingerprint -sha256
     must print
       sha256 Fingerprint=${colonFp}
  3. Point the configuration at this directory (party agent config: "kit": "<path to this directory>").

Protect
  - ${f.key}, ${f.signingKey} and ${f.signingSeed} identify you to the whole consortium. Never e-mail them,
    never put them in a container image or a shared drive, back them up encrypted or not at all.
  - If they may have leaked, tell the consortium operator at once: they run
       fedsynth pki revoke --ca CA_DIR --party ${m.id}${m.role === 'party' ? '' : ` --role ${m.role}`}
    and issue you a new kit.
  - The certificate expires on ${m.notAfter}; ask for a new kit before then.
`;
}
