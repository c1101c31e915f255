// OutputDelivery: streams a study's output files to one approved party in 1 MiB chunks, flow-controlled,
// skipping files it already confirmed with the same hash, so a party that was offline still gets everything.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import { OUTPUT_FILES } from './StudyOutputs.js';
import { fileSha256 } from '../../platform/delivery/fileSha256.js';

export interface OutputDeliveryDeps {
  store: CoordinatorStore;
  gateway: AgentGateway;
  log: Logger;
  audit: (event: string, details: Record<string, unknown>) => void;
}

/** Bytes per delivery frame. */
const CHUNK = 1 << 20;

/**
 * Frames of one party's delivery not yet handed on by its stream. Two keep the stream busy while
 * the next piece is read; the stream's own buffer (grpc-js: 16 messages) would hold 16 MiB per
 * party, and a serialized copy of each.
 */
export const DELIVERY_FRAMES_IN_FLIGHT = 2;

/**
 * Sends the outputs in `dir` to `partyId` (which the caller checked approved the study). Each file
 * is hashed and read in 1 MiB pieces, and a piece is read only once all but
 * DELIVERY_FRAMES_IN_FLIGHT - 1 of the frames before it were handed on (AgentSession.sendFlushed):
 * a delivery holds at most that many frames whatever the size of synthetic.csv.
 */
export async function deliverOutputs(d: OutputDeliveryDeps, dir: string, studyId: string, partyId: string): Promise<void> {
  const s = d.gateway.session(partyId);
  if (!s) return;
  const acked = new Map(d.store.deliveryAcks(studyId, partyId).map((a) => [a.fileName, a.sha256]));
  const sent: string[] = [];
  const pieces: Buffer[] = [];
  for (const file of OUTPUT_FILES) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    const sha256 = fileSha256(path);
    if (acked.get(file) === sha256) continue;
    const size = statSync(path).size;
    const fd = openSync(path, 'r');
    const inFlight: Promise<void>[] = [];
    try {
      for (let off = 0, k = 0; ; off += CHUNK, k++) {
        // Frame k reuses the piece of frame k - DELIVERY_FRAMES_IN_FLIGHT, which the stream handed
        // on (serialized) before this frame was read.
        const data = (pieces[k % DELIVERY_FRAMES_IN_FLIGHT] ??= Buffer.allocUnsafe(CHUNK)).subarray(0, Math.min(CHUNK, size - off));
        if (data.length > 0) readSync(fd, data, 0, data.length, off);
        const last = off + CHUNK >= size;
        const flushed = s.sendFlushed({ $case: 'delivery', value: { studyId, fileName: file, offset: off, data, last, sha256: last ? sha256 : '' } });
        flushed.catch(() => undefined); // awaited below; a rejection while an earlier frame is awaited is not unhandled
        inFlight.push(flushed);
        if (inFlight.length >= DELIVERY_FRAMES_IN_FLIGHT) await inFlight.shift();
        if (last) break;
      }
      await Promise.all(inFlight);
      sent.push(file);
    } catch {
      d.log.warn({ studyId, partyId, file }, 'delivery interrupted (party offline); it is resent when the party reconnects');
      break;
    } finally {
      closeSync(fd);
    }
  }
  if (sent.length > 0) d.audit('delivery.sent', { studyId, partyId, files: sent });
}
