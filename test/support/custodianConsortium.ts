// custodianConsortium: a LocalConsortium with no parties for custodian tests — the real coordinator
// and key custodian connected over mTLS on 127.0.0.1, started in `workDir`.
import { Domain } from '../../shared/pgm/Domain.js';
import { silentLogger } from '../../platform/logging/logging.js';
import { LocalConsortium } from '../../simulation/LocalConsortium.js';

export async function startCustodianConsortium(workDir: string): Promise<LocalConsortium> {
  const consortium = new LocalConsortium({
    domain: new Domain(['a'], [2]),
    sources: [],
    log: silentLogger(),
    policy: { allowedColumns: '*', maxEpsilonPerStudy: 1, maxDeltaPerStudy: 1e-6, allowedMechanisms: ['mst'], minParties: 1, autoApprove: true, allowPlainAggregation: true },
    ledgerRho: 1,
    workDir,
  });
  await consortium.start();
  return consortium;
}
