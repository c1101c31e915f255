// KitManifest: the kit.json of a startup kit (who the holder is, where the coordinator is, which
// files hold what, and the CA fingerprint to check ca.crt against out of band).
import { isPartyRole, type PartyRole } from '../../shared/identity/PartyRole.js';
import type { KitFileNames } from './pkiFiles.js';

export interface KitManifest {
  readonly version: 1;
  readonly role: PartyRole;
  /** Party id (= certificate CN). */
  readonly id: string;
  readonly consortium: string;
  /** Coordinator address HOST:PORT (for the coordinator itself: the address it serves). */
  readonly coordinator: string;
  readonly files: KitFileNames;
  /** "sha256:<hex>" of ca.crt's DER. */
  readonly caFingerprint: string;
  readonly certSerial: string;
  /** Raw 32-byte Ed25519 signing public key, base64 (libsodium form). */
  readonly signingPublicKey: string;
  readonly notAfter: string;
}

/** Structural check of a parsed kit.json; returns the list of problems (empty when valid). */
export function kitManifestProblems(raw: unknown): string[] {
  const problems: string[] = [];
  const m = raw as Record<string, unknown> | null;
  if (m === null || typeof m !== 'object') return ['kit.json must be a JSON object'];
  if (m.version !== 1) problems.push('version: must be 1');
  if (!isPartyRole(m.role)) problems.push('role: must be party, coordinator, custodian or operator');
  for (const k of ['id', 'consortium', 'coordinator', 'caFingerprint', 'certSerial', 'signingPublicKey'] as const) {
    if (typeof m[k] !== 'string' || m[k] === '') problems.push(`${k}: must be a non-empty string`);
  }
  const files = m.files as Record<string, unknown> | undefined;
  if (files === null || typeof files !== 'object') problems.push('files: must be an object');
  else {
    for (const k of ['ca', 'cert', 'key', 'signingKey', 'signingPublicKey', 'signingSeed'] as const) {
      if (typeof files[k] !== 'string' || (files[k] as string).includes('/') || (files[k] as string).includes('\\')) {
        problems.push(`files.${k}: must be a plain file name`);
      }
    }
  }
  return problems;
}
