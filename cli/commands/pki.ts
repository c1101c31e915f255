// The `fedsynth pki` command: create the consortium CA, issue startup kits for parties, the
// coordinator and the custodian, and revoke certificates. Implementation lives in platform/pki/.
import { join } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { isPartyRole, type PartyRole } from '../../shared/identity/PartyRole.js';
import { initCa, kitsDir, openCa } from '../../platform/pki/CertificateAuthority.js';
import { issueKit } from '../../platform/pki/issueKit.js';
import { publishTrustState } from '../../platform/pki/publishTrustState.js';
import { REVOCATION_REASONS, revokeCertificate, type RevocationReason } from '../../platform/pki/revokeCertificate.js';

const DEFAULT_COORDINATOR = '127.0.0.1:50051';

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new FedsynthError(ErrorCode.InvalidArgument, `expected a positive integer, got ${value}`);
  return n;
}

function print(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj, null, 2) + '\n');
}

export function register(program: Command): void {
  const pki = program.command('pki').description('consortium PKI: CA, startup kits, revocation (see docs/pki.md)');

  pki
    .command('init')
    .description('create the consortium CA and the coordinator kit (CA_DIR/kits/coordinator)')
    .requiredOption('--dir <CA_DIR>', 'directory for the CA (keep it offline; ca.key is the root of trust)')
    .option('--name <CONSORTIUM>', 'consortium name (certificate O=)', 'fedsynth')
    .option('--coordinator <HOST:PORT>', 'address the coordinator serves', DEFAULT_COORDINATOR)
    .option('--coordinator-host <hosts>', 'extra coordinator SAN host names / IPs (repeatable, comma-separated)', collect, [])
    .option('--coordinator-out <DIR>', 'where to write the coordinator kit (default CA_DIR/kits/coordinator)')
    .option('--days <n>', 'CA validity in days', positiveInt, 3650)
    .action(async (o: { dir: string; name: string; coordinator: string; coordinatorHost: string[]; coordinatorOut?: string; days: number }) => {
      const ca = await initCa(o.dir, { consortium: o.name, days: o.days });
      await publishTrustState(ca);
      const out = o.coordinatorOut ?? join(kitsDir(ca), 'coordinator');
      const hosts = o.coordinatorHost.length > 0 ? o.coordinatorHost : ['127.0.0.1', 'localhost'];
      const kit = await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: o.coordinator, hosts, out });
      print({ ca: o.dir, consortium: o.name, caFingerprint: ca.fingerprint, coordinatorKit: kit.dir, coordinatorSerial: kit.manifest.certSerial });
    });

  pki
    .command('issue')
    .description('issue a startup kit for a party (--party NAME), or for the coordinator, the custodian or an operator (--role, --name)')
    .requiredOption('--ca <CA_DIR>', 'CA directory')
    .option('--party <NAME>', 'party id (certificate CN)')
    .option('--role <role>', 'party | coordinator | custodian | operator', 'party')
    .option('--name <NAME>', 'id for --role coordinator|custodian|operator (defaults to the role name; one per operator, e.g. alice)')
    .option('--coordinator <HOST:PORT>', 'coordinator address written into kit.json', DEFAULT_COORDINATOR)
    .option('--host <hosts>', 'coordinator kits: SAN host names / IPs (repeatable, comma-separated)', collect, [])
    .requiredOption('--out <KIT_DIR>', 'kit directory to create')
    .option('--days <n>', 'certificate validity in days', positiveInt, 730)
    .option('--force', 'overwrite a non-empty kit directory', false)
    .option('--reissue', 'issue although an active certificate exists (revoke the old one afterwards)', false)
    .action(
      async (o: { ca: string; party?: string; role: string; name?: string; coordinator: string; host: string[]; out: string; days: number; force: boolean; reissue: boolean }) => {
        const role = parseRole(o.role);
        const id = role === 'party' ? o.party : (o.name ?? o.party ?? role);
        if (id === undefined) throw new FedsynthError(ErrorCode.InvalidArgument, 'pki issue: --party NAME is required for party kits');
        const ca = await openCa(o.ca);
        const kit = await issueKit(ca, {
          role,
          id,
          coordinator: o.coordinator,
          hosts: o.host,
          out: o.out,
          days: o.days,
          force: o.force,
          reissue: o.reissue,
        });
        print({ kit: kit.dir, ...kit.manifest });
      },
    );

  pki
    .command('revoke')
    .description('revoke a holder\'s certificates (or one serial) and republish crl.pem and roster.json')
    .requiredOption('--ca <CA_DIR>', 'CA directory')
    .option('--party <NAME>', 'holder id')
    .option('--role <role>', 'party | coordinator | custodian | operator', 'party')
    .option('--serial <hex>', 'revoke exactly this certificate serial')
    .option('--reason <reason>', REVOCATION_REASONS.join(' | '), 'unspecified')
    .action(async (o: { ca: string; party?: string; role: string; serial?: string; reason: string }) => {
      if (!(REVOCATION_REASONS as readonly string[]).includes(o.reason)) {
        throw new FedsynthError(ErrorCode.InvalidArgument, `--reason must be one of ${REVOCATION_REASONS.join(', ')}`);
      }
      const ca = await openCa(o.ca);
      const revoked = await revokeCertificate(ca, {
        id: o.serial === undefined ? o.party : undefined,
        role: parseRole(o.role),
        serial: o.serial,
        reason: o.reason as RevocationReason,
      });
      print({
        revoked,
        crl: join(o.ca, 'crl.pem'),
        crlNumber: ca.registry.crlNumber,
        // The same files docs/operator-guide.md (section 1) tells the operator to copy.
        copy: REVOCATION_FILES.map((f) => join(o.ca, f)),
        next: `copy ${REVOCATION_FILES.join(' and ')} into the coordinator's kit directory, then restart the coordinator`,
      });
    });
}

/** What a revocation republishes and the coordinator must be given (its kit directory). */
export const REVOCATION_FILES = ['crl.pem', 'roster.json'] as const;

function parseRole(s: string): PartyRole {
  if (!isPartyRole(s)) throw new FedsynthError(ErrorCode.InvalidArgument, `--role must be party, coordinator, custodian or operator, got ${s}`);
  return s;
}
