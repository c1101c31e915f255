// loadTrust: the consortium trust anchors a service needs at run time: the CA certificate, the
// set of revoked serials from the CA-signed CRL, and the CA-signed roster, all verified on load.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { normalizeSerial } from '../../shared/identity/certificateSerial.js';
import { CA_FILES, readRequired } from './pkiFiles.js';
import { verifyRoster, type SignedRoster } from './Roster.js';
import { x509 } from './x509Runtime.js';

export interface Trust {
  readonly caPem: string;
  /** Revoked serials in canonical form (see normalizeSerial); empty when no crl.pem is present. */
  readonly crl: ReadonlySet<string>;
  /** CRL number and thisUpdate of the loaded CRL (undefined without one). */
  readonly crlNumber?: number;
  readonly crlUpdatedAt?: Date;
  /** The CA-signed roster, when roster.json is present. */
  readonly roster?: SignedRoster;
}

/**
 * Loads `ca.crt` (required), `crl.pem` and `roster.json` (optional) from `dir` — a CA directory or a
 * kit directory. A CRL or roster not signed by the CA is rejected (BadSignature), not ignored.
 */
export async function loadTrust(dir: string): Promise<Trust> {
  const caPem = readRequired(join(dir, CA_FILES.cert), 'CA certificate').trim();
  const ca = new x509.X509Certificate(caPem);
  let crl = new Set<string>();
  let crlNumber: number | undefined;
  let crlUpdatedAt: Date | undefined;
  const crlPath = join(dir, CA_FILES.crl);
  if (existsSync(crlPath)) {
    const parsed = parseCrl(readFileSync(crlPath, 'utf8'), crlPath);
    if (!(await parsed.verify({ publicKey: ca }))) {
      throw new FedsynthError(ErrorCode.BadSignature, `CRL ${crlPath} is not signed by the consortium CA`, { file: crlPath });
    }
    crl = new Set(parsed.entries.map((e) => normalizeSerial(e.serialNumber)));
    crlUpdatedAt = parsed.thisUpdate;
    const num = parsed.getExtension('2.5.29.20');
    crlNumber = num === null ? undefined : derSmallInteger(new Uint8Array(num.value));
  }
  const rosterPath = join(dir, CA_FILES.roster);
  let roster: SignedRoster | undefined;
  if (existsSync(rosterPath)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(rosterPath, 'utf8'));
    } catch {
      throw new FedsynthError(ErrorCode.BadSignature, `roster ${rosterPath} is not valid JSON`, { file: rosterPath });
    }
    roster = verifyRoster(raw, caPem, rosterPath);
  }
  return { caPem, crl, crlNumber, crlUpdatedAt, roster };
}

function parseCrl(pem: string, file: string): x509.X509Crl {
  try {
    return new x509.X509Crl(pem);
  } catch {
    throw new FedsynthError(ErrorCode.CorruptState, `CRL ${file} cannot be parsed`, { file });
  }
}

function derSmallInteger(der: Uint8Array): number | undefined {
  if (der[0] !== 0x02 || der[1] === undefined || der[1] > 6) return undefined;
  let v = 0;
  for (let i = 0; i < der[1]; i++) v = v * 256 + der[2 + i]!;
  return v;
}
