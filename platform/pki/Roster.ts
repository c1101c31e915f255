// Roster: the CA-signed list of active consortium members and their Ed25519 signing keys
// (roster.json), so a party can check a peer's signing key without holding the peer's certificate.
import { X509Certificate as NodeX509, verify as nodeVerify } from 'node:crypto';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { canonicalJson } from '../../shared/audit/canonicalJson.js';
import { isPartyRole, type PartyRole } from '../../shared/identity/PartyRole.js';
import { webcrypto } from './x509Runtime.js';
import type { CryptoKey } from './x509Runtime.js';

export interface RosterEntry {
  readonly id: string;
  readonly role: PartyRole;
  readonly serial: string;
  /** Raw 32-byte Ed25519 public key, base64. */
  readonly signingPublicKey: string;
  readonly certSha256: string;
  readonly notAfter: string;
}

export interface RosterBody {
  readonly version: 1;
  readonly consortium: string;
  readonly issuedAt: string;
  readonly entries: readonly RosterEntry[];
}

/** roster.json: the body plus an ECDSA P-256/SHA-256 signature (IEEE P1363 r||s, base64) over canonicalJson(body). */
export interface SignedRoster extends RosterBody {
  readonly signature: string;
}

/** Signs a roster body with the CA private key. */
export async function signRoster(body: RosterBody, caPrivateKey: CryptoKey): Promise<SignedRoster> {
  const sig = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    caPrivateKey,
    new TextEncoder().encode(canonicalJson(body)),
  );
  return { ...body, signature: Buffer.from(sig).toString('base64') };
}

/** Verifies a parsed roster.json against the CA certificate; throws BadSignature if forged or malformed. */
export function verifyRoster(raw: unknown, caPem: string, file = 'roster.json'): SignedRoster {
  const r = raw as Partial<SignedRoster> | null;
  if (
    r === null ||
    typeof r !== 'object' ||
    r.version !== 1 ||
    typeof r.signature !== 'string' ||
    typeof r.consortium !== 'string' ||
    typeof r.issuedAt !== 'string' ||
    !Array.isArray(r.entries) ||
    !r.entries.every((e) => typeof e?.id === 'string' && isPartyRole(e.role) && typeof e.serial === 'string' && typeof e.signingPublicKey === 'string')
  ) {
    throw new FedsynthError(ErrorCode.BadSignature, `roster ${file} is malformed`, { file });
  }
  const { signature, ...body } = r as SignedRoster;
  const caKey = new NodeX509(caPem).publicKey;
  const ok = nodeVerify(
    'sha256',
    Buffer.from(canonicalJson(body)),
    { key: caKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64'),
  );
  if (!ok) throw new FedsynthError(ErrorCode.BadSignature, `roster ${file} is not signed by the consortium CA`, { file });
  return r as SignedRoster;
}
