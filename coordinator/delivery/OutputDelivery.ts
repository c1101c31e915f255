// OutputDelivery: streams a study's output files to one approved party in 1 MiB chunks, skipping
// files it already confirmed with the same hash, so a party that was offline still gets everything.
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import { OUTPUT_FILES } from './StudyOutputs.js';

export interface OutputDeliveryDeps {
  store: CoordinatorStore;
  gateway: AgentGateway;
  log: Logger;
  audit: (event: string, details: Record<string, unknown>) => void;
}

/** Sends the outputs in `dir` to `partyId` (which the caller checked approved the study). */
export function deliverOutputs(d: OutputDeliveryDeps, dir: string, studyId: string, partyId: string): void {
  const s = d.gateway.session(partyId);
  if (!s) return;
  const acked = new Map(d.store.deliveryAcks(studyId, partyId).map((a) => [a.fileName, a.sha256]));
  const sent: string[] = [];
  for (const file of OUTPUT_FILES) {
    if (!existsSync(join(dir, file))) continue;
    const data = readFileSync(join(dir, file));
    const sha256 = createHash('sha256').update(data).digest('hex');
    if (acked.get(file) === sha256) continue;
    const CHUNK = 1 << 20;
    try {
      for (let off = 0; off === 0 || off < data.length; off += CHUNK) {
        const last = off + CHUNK >= data.length;
        s.send({ $case: 'delivery', value: { studyId, fileName: file, offset: off, data: data.subarray(off, off + CHUNK), last, sha256: last ? sha256 : '' } });
        if (last) break;
      }
      sent.push(file);
    } catch {
      d.log.warn({ studyId, partyId, file }, 'delivery interrupted (party offline); it is resent when the party reconnects');
      break;
    }
  }
  if (sent.length > 0) d.audit('delivery.sent', { studyId, partyId, files: sent });
}
