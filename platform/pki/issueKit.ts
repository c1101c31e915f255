// issueKit: creates a startup kit directory (CA certificate, mTLS certificate and key, Ed25519
// signing key, kit.json, README.txt) for a party, the coordinator or the custodian.
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { assertValidPartyId, type PartyRole } from '../../shared/identity/PartyRole.js';
import { parseHostPort } from '../../shared/identity/hostPort.js';
import { activeCertificates, signLeaf, type OpenedCa } from './CertificateAuthority.js';
import { kitFileNames, KIT_JSON, KIT_README, writePrivate, writePublic } from './pkiFiles.js';
import type { KitManifest } from './KitManifest.js';
import { kitReadme } from './kitReadme.js';
import { publishTrustState } from './publishTrustState.js';
import { rawEd25519PublicKey } from './signingKeyBinding.js';
import { ECDSA_P256, webcrypto, x509 } from './x509Runtime.js';
import type { CryptoKeyPair } from './x509Runtime.js';

export interface IssueKitOptions {
  readonly role: PartyRole;
  /** Party id (certificate CN); the coordinator and custodian default to their role name. */
  readonly id: string;
  /** Coordinator address HOST:PORT written into kit.json. */
  readonly coordinator: string;
  /** Kit directory to create (must be empty or absent unless `force`). */
  readonly out: string;
  /** Coordinator only: SAN host names / IP addresses (the host of `coordinator` is always included). */
  readonly hosts?: readonly string[];
  readonly days?: number;
  /** Overwrite an existing kit directory. */
  readonly force?: boolean;
  /** Issue although the holder already has an active certificate (the old one stays valid until revoked). */
  readonly reissue?: boolean;
  readonly now?: Date;
}

export interface IssuedKit {
  readonly dir: string;
  readonly manifest: KitManifest;
}

/** Issues a certificate and writes the kit; updates issued.json, crl.pem and roster.json in the CA dir. */
export async function issueKit(ca: OpenedCa, opts: IssueKitOptions): Promise<IssuedKit> {
  assertValidPartyId(opts.id);
  const coord = parseHostPort(opts.coordinator, 'coordinator address');
  const now = opts.now ?? new Date();
  const active = activeCertificates(ca, opts.id, opts.role, now);
  if (active.length > 0 && opts.reissue !== true) {
    throw new FedsynthError(
      ErrorCode.InvalidArgument,
      `${opts.role} ${opts.id} already has an active certificate (serial ${active.map((a) => a.serial).join(', ')}); ` +
        'revoke it first (fedsynth pki revoke) or pass --reissue',
      { partyId: opts.id, role: opts.role },
    );
  }
  if (existsSync(opts.out) && readdirSync(opts.out).length > 0 && opts.force !== true) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `kit directory ${opts.out} is not empty (pass --force to overwrite)`, {
      dir: opts.out,
    });
  }
  mkdirSync(opts.out, { recursive: true, mode: 0o700 });

  const tlsKeys = (await webcrypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const signing = generateKeyPairSync('ed25519');
  const hosts = opts.role === 'coordinator' ? unique([coord.host, ...(opts.hosts ?? [])]) : [];
  const { cert, serial } = await signLeaf(ca, {
    id: opts.id,
    role: opts.role,
    publicKey: tlsKeys.publicKey,
    signingPublicKey: signing.publicKey,
    dnsNames: hosts.filter((h) => isIP(h) === 0),
    ipAddresses: hosts.filter((h) => isIP(h) !== 0),
    days: opts.days,
    now,
  });

  const files = kitFileNames(opts.role);
  const rawPub = rawEd25519PublicKey(signing.publicKey);
  const seed = Buffer.from(signing.privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
  writePublic(join(opts.out, files.ca), ca.certPem + '\n');
  writePublic(join(opts.out, files.cert), cert.toString('pem') + '\n');
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', tlsKeys.privateKey);
  writePrivate(join(opts.out, files.key), x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n');
  writePrivate(join(opts.out, files.signingKey), signing.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
  writePublic(join(opts.out, files.signingPublicKey), signing.publicKey.export({ format: 'pem', type: 'spki' }).toString());
  writePrivate(join(opts.out, files.signingSeed), seed.toString('base64') + '\n');
  seed.fill(0);

  const manifest: KitManifest = {
    version: 1,
    role: opts.role,
    id: opts.id,
    consortium: ca.consortium,
    coordinator: opts.coordinator,
    files,
    caFingerprint: ca.fingerprint,
    certSerial: serial,
    signingPublicKey: Buffer.from(rawPub).toString('base64'),
    notAfter: cert.notAfter.toISOString(),
  };
  writePublic(join(opts.out, KIT_JSON), JSON.stringify(manifest, null, 2) + '\n');
  writePublic(join(opts.out, KIT_README), kitReadme(manifest, hosts));
  await publishTrustState(ca, now);
  return { dir: opts.out, manifest };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs.map((x) => x.trim()).filter((x) => x !== ''))];
}
