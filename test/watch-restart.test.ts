// `study --watch` across a real coordinator restart: a coordinator (mTLS, 127.0.0.1) is stopped while
// an operator follows a study and started again on the same port and state; the watch reports the
// outage, reconnects and ends with the study's real final state instead of failing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initCa } from '../platform/pki/CertificateAuthority.js';
import { issueKit } from '../platform/pki/issueKit.js';
import { loadKit } from '../platform/pki/loadKit.js';
import { silentLogger } from '../platform/logging/logging.js';
import { Coordinator } from '../coordinator/Coordinator.js';
import { OperatorClient } from '../coordinator/operator/OperatorClient.js';
import { followStudy } from '../cli/util/followStudy.js';
import { RawAgentClient } from './support/RawAgentClient.js';
import { Domain } from '../shared/pgm/Domain.js';
import { domainHash } from '../shared/study/domainHash.js';
import { Aggregation, Mechanism, type StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-watch-restart-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('study --watch across a coordinator restart', () => {
  it('reconnects and ends with the final state', async () => {
    const ca = await initCa(join(root, 'ca'), { consortium: 'watch' });
    await issueKit(ca, { role: 'coordinator', id: 'coordinator', coordinator: '127.0.0.1:7443', out: join(root, 'coordinator-kit'), hosts: ['127.0.0.1', 'localhost'] });
    await issueKit(ca, { role: 'party', id: 'hospital-a', coordinator: '127.0.0.1:7443', out: join(root, 'party-kit') });
    await issueKit(ca, { role: 'operator', id: 'operator', coordinator: '127.0.0.1:7443', out: join(root, 'operator-kit') });
    const ck = loadKit(join(root, 'coordinator-kit'));
    const make = (listen: string) =>
      new Coordinator({ listen, tls: { caPem: ck.tls.ca, certPem: ck.tls.cert, keyPem: ck.tls.key }, dataDir: join(root, 'state'), log: silentLogger(), approvalTimeoutMs: 600_000 });
    let coordinator = make('127.0.0.1:0');
    const port = await coordinator.start();
    const client = OperatorClient.fromKit(join(root, 'operator-kit'), `127.0.0.1:${port}`);
    // The invited party has connected once (a study may only invite known parties), then goes away.
    const pk = loadKit(join(root, 'party-kit'));
    const agent = new RawAgentClient({ ca: pk.tls.ca, cert: pk.tls.cert, key: pk.tls.key }, `127.0.0.1:${port}`);
    agent.hello();
    await until(() => coordinator.gateway.onlineParties().includes('hospital-a'), 20_000, 'hospital-a online');
    agent.close();
    try {
      const domain = new Domain(['a', 'b'], [3, 2]);
      const created = await client.createStudy({
        spec: {
          studyId: '', title: 'watch restart', mechanism: Mechanism.MECHANISM_MST, epsilon: 1, delta: 1e-6, rho: 0, columns: [],
          domain: domain.attrs.map((name, i) => ({ name, size: domain.shape[i] })), aggregation: Aggregation.AGGREGATION_PLAIN,
          minParties: 1, colluders: 0, dropouts: 0, syntheticRows: 100, domainHash: domainHash(domain), maxSilosPerIndividual: 1,
          targetColumn: '', schemaJson: '', neighbours: 0, training: undefined, evaluationRho: 0,
        },
        parties: ['hospital-a'], // it never approves: the study waits
        seed: '',
        splitNote: '',
        roundTimeoutMs: 0,
      });
      const studyId = created.spec!.studyId;
      const lines: string[] = [];
      let statuses = 0;
      const watching = followStudy<StudyStatus>({
        watchOnce: (on) => client.watchStudy(studyId, on),
        report: (l) => lines.push(l),
        onStatus: () => void statuses++,
        backoff: { minMs: 100, maxMs: 400 },
        maxOutageMs: 60_000,
      });
      await until(() => statuses >= 1, 20_000, 'the first status');
      await coordinator.stop();
      await until(() => lines.some((l) => l.startsWith('connection to the coordinator lost')), 20_000, 'the outage to be reported');
      coordinator = make(`127.0.0.1:${port}`);
      await coordinator.start();
      await until(() => lines.some((l) => l.startsWith('reconnected to the coordinator')), 30_000, 'the watch to reconnect');
      await client.cancelStudy(studyId, 'test over');
      const final = await watching;
      expect(final.state).toBe('cancelled');
      expect(lines.some((l) => l.startsWith('state draft -> cancelled')), lines.join('\n')).toBe(true);
    } finally {
      client.close();
      await coordinator.stop();
    }
  }, 90_000);
});
