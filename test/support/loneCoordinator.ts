// loneCoordinator: a real Coordinator on 127.0.0.1:0 with a fresh CA, its kit and one party's kit,
// for gateway tests that talk to it through raw streams or a bare AgentConnection.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { initCa } from '../../platform/pki/CertificateAuthority.js';
import { issueKit } from '../../platform/pki/issueKit.js';
import { loadKit } from '../../platform/pki/loadKit.js';
import { Coordinator } from '../../coordinator/Coordinator.js';

export interface LoneCoordinator {
  coordinator: Coordinator;
  /** host:port it listens on. */
  address: string;
  /** The coordinator's kit directory (a FakeCoordinator can serve with it). */
  coordinatorKitDir: string;
  /** The one party's kit directory. */
  partyKitDir: string;
}

export async function startLoneCoordinator(root: string, partyId: string, log: Logger, heartbeatIntervalMs?: number): Promise<LoneCoordinator> {
  const ca = await initCa(join(root, 'ca'), { consortium: 'lone' });
  const coordinatorKitDir = join(root, 'coordinator');
  const partyKitDir = join(root, partyId);
  await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:7443', out: coordinatorKitDir, hosts: ['127.0.0.1', 'localhost'] });
  await issueKit(ca, { role: 'party', id: partyId, coordinator: '127.0.0.1:7443', out: partyKitDir });
  const ck = loadKit(coordinatorKitDir);
  const coordinator = new Coordinator({ listen: '127.0.0.1:0', tls: { caPem: ck.tls.ca, certPem: ck.tls.cert, keyPem: ck.tls.key }, dataDir: join(root, 'data'), log, ...(heartbeatIntervalMs ? { heartbeatIntervalMs } : {}) });
  const address = `127.0.0.1:${await coordinator.start()}`;
  return { coordinator, address, coordinatorKitDir, partyKitDir };
}
