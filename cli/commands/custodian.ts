// The `fedsynth custodian` command: run the key custodian of homomorphic (he) aggregation, which
// dials out to the coordinator over mTLS, keeps its BFV keys in --state and decrypts only sums.
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { AuditLogFile } from '../../platform/audit/AuditLogFile.js';
import { loadKit } from '../../platform/pki/loadKit.js';
import { makeLogger } from '../../platform/logging/logging.js';
import { crashHookFromEnv } from '../../platform/testing/crashHook.js';
import { KeyCustodian } from '../../custodian/KeyCustodian.js';
import { CustodianConnection, custodianEndorser } from '../../custodian/CustodianConnection.js';

interface StartFlags {
  kit: string;
  state: string;
  coordinator?: string;
  serverName?: string;
  minContributors: string;
  log?: string;
}

export function register(program: Command): void {
  const cmd = program.command('custodian').description('Run the key custodian of homomorphic (he) aggregation');
  cmd
    .command('start')
    .description(
      'Start the key custodian. It dials out to the coordinator (mTLS, kit role "custodian"), creates one\n' +
        'BFV key pair per study (kept in --state, so a restart keeps its keys) and decrypts only aggregate\n' +
        'sums of at least t contributors, each round once. Never run it on the coordinator\'s host or\n' +
        'under the coordinator operator\'s control: custodian + coordinator together can decrypt anything.',
    )
    .requiredOption('--kit <dir>', 'custodian startup kit (fedsynth pki issue --role custodian)')
    .requiredOption('--state <dir>', 'state directory (custodian.sqlite holds the secret keys; mode 0600)')
    .option('--coordinator <host:port>', 'coordinator address (default: the one in the kit)')
    .option('--server-name <name>', 'name expected in the coordinator certificate when it differs from the dialled host')
    .option('--min-contributors <t>', 'the custodian\'s own floor for t: no sum of fewer contributors is ever decrypted', '2')
    .option('--log <file>', 'JSON log file (default: stderr)')
    .action(async (f: StartFlags) => {
      const log = makeLogger({ file: f.log, name: 'custodian' });
      const kit = loadKit(resolve(f.kit));
      if (kit.identity.role !== 'custodian') {
        throw new FedsynthError(ErrorCode.InvalidConfig, `kit ${f.kit} is a ${kit.identity.role} kit; the custodian needs one issued with --role custodian`);
      }
      const floor = Number(f.minContributors);
      if (!Number.isInteger(floor) || floor < 1) throw new FedsynthError(ErrorCode.InvalidArgument, `--min-contributors must be an integer >= 1, got ${f.minContributors}`);
      const stateDir = resolve(f.state);
      const auditFile = AuditLogFile.open(join(stateDir, 'audit.log'), {
        onTornTail: 'recover',
        signer: { actor: kit.identity.partyId, signingKey: kit.signingKey, publicKeyRaw: kit.signingPublicKeyRaw, every: 50 },
      });
      const audit = (event: string, details: Record<string, unknown>): void => {
        auditFile.append({ actor: kit.identity.partyId, event, roundId: typeof details.roundId === 'string' ? details.roundId : undefined, details });
      };
      const keys = new KeyCustodian({ stateDir, minContributors: floor, log, audit, crashAt: crashHookFromEnv(process.env) });
      const address = f.coordinator ?? kit.manifest.coordinator;
      const conn = new CustodianConnection({ address, tls: { caPem: kit.tls.ca, certPem: kit.tls.cert, keyPem: kit.tls.key, serverName: f.serverName }, log, endorser: custodianEndorser(kit) }, keys);
      conn.start();
      audit('custodian.started', { coordinator: address, minContributors: floor });
      log.info({ coordinator: address, stateDir, minContributors: floor }, 'key custodian started');
      await new Promise<void>((done) => {
        const stop = (): void => {
          log.info('shutting down');
          conn.stop();
          void keys.close().finally(() => {
            auditFile.close();
            done();
          });
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
