// startCoordinator: boots a coordinator service from its startup kit — mTLS material, the CA's
// revocation list, the audit log and the state directory — as `fedsynth coordinator start` does.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Coordinator } from './Coordinator.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { loadTrust } from '../platform/pki/loadTrust.js';
import { isRevoked } from '../platform/pki/peerIdentityFromCertificate.js';
import { openAuditHook, type AuditHook } from '../platform/audit/auditHook.js';

export interface StartCoordinatorOptions {
  kitDir: string;
  listen: string;
  dataDir: string;
  log: Logger;
  allowSeeds?: boolean;
  portFile?: string;
  roundTimeoutMs?: number;
  approvalTimeoutMs?: number;
  /** host:port of the read-only operator console and /metrics (HTTPS, operator certificates); off when absent. */
  consoleListen?: string;
}

export async function startCoordinator(o: StartCoordinatorOptions): Promise<{ coordinator: Coordinator; port: number; audit: AuditHook }> {
  const kit = loadKit(o.kitDir);
  const trust = await loadTrust(o.kitDir);
  const audit = openAuditHook(join(o.dataDir, 'audit.log'), kit.identity.partyId, { signingKey: kit.signingKey, publicKeyRaw: kit.signingPublicKeyRaw });
  const coordinator = new Coordinator({
    listen: o.listen,
    tls: { caPem: kit.tls.ca, certPem: kit.tls.cert, keyPem: kit.tls.key },
    dataDir: o.dataDir,
    log: o.log,
    isRevoked: (serial) => isRevoked(serial, trust.crl),
    allowSeeds: o.allowSeeds ?? false,
    roundTimeoutMs: o.roundTimeoutMs,
    approvalTimeoutMs: o.approvalTimeoutMs,
    audit,
    signer: { id: kit.identity.partyId, certificatePem: kit.certPem, signingKey: kit.signingKey },
    console: o.consoleListen ? { listen: o.consoleListen } : undefined,
  });
  const port = await coordinator.start();
  audit('coordinator.started', { listen: o.listen, port, console: coordinator.console ? coordinator.console.port : null });
  if (o.portFile) writeFileSync(o.portFile, `${port}\n`);
  o.log.info({ port, dataDir: o.dataDir }, `coordinator listening on port ${port}`);
  return { coordinator, port, audit };
}
