// Certificate serial numbers in one canonical text form (lowercase hex, no leading zeros), so
// serials from @peculiar/x509, node:tls and CRLs compare equal.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** Canonical serial: lowercase hex without `0x`, colons or leading zeros ("0" for zero). */
export function normalizeSerial(serial: string): string {
  const hex = serial.trim().replace(/^0x/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `invalid certificate serial ${JSON.stringify(serial)}`, { serial });
  }
  const stripped = hex.replace(/^0+/, '');
  return stripped === '' ? '0' : stripped;
}

/** True when `serial` is in the revocation set (both sides compared in canonical form). */
export function isRevoked(serial: string, crl: ReadonlySet<string>): boolean {
  return crl.has(normalizeSerial(serial));
}
