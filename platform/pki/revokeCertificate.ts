// revokeCertificate: marks a holder's certificates revoked in the CA registry and republishes the
// CRL (crl.pem) and roster (roster.json) without them.
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { normalizeSerial } from '../../shared/identity/certificateSerial.js';
import type { PartyRole } from '../../shared/identity/PartyRole.js';
import type { OpenedCa } from './CertificateAuthority.js';
import { publishTrustState } from './publishTrustState.js';

export const REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'superseded', 'cessationOfOperation'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface RevokeOptions {
  /** Revoke every unrevoked certificate of this holder ... */
  readonly id?: string;
  readonly role?: PartyRole;
  /** ... or exactly this serial. */
  readonly serial?: string;
  readonly reason?: RevocationReason;
  readonly now?: Date;
}

/** Revokes and republishes; returns the serials newly revoked. NotFound if nothing matched. */
export async function revokeCertificate(ca: OpenedCa, opts: RevokeOptions): Promise<string[]> {
  if ((opts.id === undefined) === (opts.serial === undefined)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, 'revoke needs exactly one of a party id or a serial');
  }
  const now = opts.now ?? new Date();
  const serial = opts.serial === undefined ? undefined : normalizeSerial(opts.serial);
  const role = opts.role ?? 'party';
  const targets = ca.registry.issued.filter(
    (e) => e.revokedAt === undefined && (serial !== undefined ? e.serial === serial : e.id === opts.id && e.role === role),
  );
  if (targets.length === 0) {
    const what = serial !== undefined ? `serial ${serial}` : `${role} ${opts.id}`;
    throw new FedsynthError(ErrorCode.NotFound, `no unrevoked certificate for ${what} in ${ca.dir}`, {
      partyId: opts.id,
      serial,
    });
  }
  for (const t of targets) {
    t.revokedAt = now.toISOString();
    t.revocationReason = opts.reason ?? 'unspecified';
  }
  await publishTrustState(ca, now);
  return targets.map((t) => t.serial);
}
