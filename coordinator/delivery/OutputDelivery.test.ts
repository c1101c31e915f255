// Tests of deliverOutputs over a grpc-js-like stream (object mode, 16-message buffer, each write called
// back after a delay): the files arrive byte-identical with their hashes, and a delivery never holds
// more than DELIVERY_FRAMES_IN_FLIGHT frames, whatever the size of the files, nor reuses a frame's piece before
// the stream called it back.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import type { AgentMessage, CoordinatorMessage, ResultsDelivery } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';
import { AgentSession } from '../gateway/AgentSession.js';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import { DELIVERY_FRAMES_IN_FLIGHT, deliverOutputs } from './OutputDelivery.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-output-delivery-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A party's stream: frames written and not yet called back are what the coordinator still holds. */
function slowStream(delayMs: number) {
  const got: ResultsDelivery[] = [];
  let written = 0;
  let done = 0;
  let maxHeld = 0;
  const w = new Writable({
    objectMode: true,
    write(m: CoordinatorMessage, _enc, cb) {
      // The frame is read as late as a stream may (grpc-js serializes earlier): just before the
      // callback, after which the coordinator may reuse its piece.
      setTimeout(() => {
        if (m.body?.$case === 'delivery') got.push({ ...m.body.value, data: Buffer.from(m.body.value.data) });
        done += 1;
        cb();
      }, delayMs);
    },
  });
  const write = w.write.bind(w) as (m: CoordinatorMessage, cb?: (e?: Error | null) => void) => boolean;
  (w as unknown as { write: typeof write }).write = (m, cb) => {
    written += 1;
    maxHeld = Math.max(maxHeld, written - done);
    return write(m, cb);
  };
  return { stream: w as unknown as grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage>, got, maxHeld: () => maxHeld };
}

it('delivers a 12 MiB file byte-identical while holding at most DELIVERY_FRAMES_IN_FLIGHT frames', async () => {
  const dir = join(root, 'study');
  const csv = randomBytes(12 * 2 ** 20 + 12_345);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'synthetic.csv'), csv);
  writeFileSync(join(dir, 'manifest.json'), '{}');
  const party = slowStream(3);
  const session = new AgentSession('p1', new Uint8Array(), party.stream);
  const gateway = { session: (p: string) => (p === 'p1' ? session : undefined) } as unknown as AgentGateway;
  const store = { deliveryAcks: () => [] } as unknown as CoordinatorStore;
  const audited: unknown[] = [];
  await deliverOutputs({ store, gateway, log: pino({ level: 'silent' }), audit: (_e, d) => audited.push(d) }, dir, 's1', 'p1');
  expect(party.maxHeld()).toBeLessThanOrEqual(DELIVERY_FRAMES_IN_FLIGHT);
  // Every frame was handed on when the delivery ended.
  const frames = party.got.filter((f) => f.fileName === 'synthetic.csv');
  expect(frames.map((f) => f.offset)).toEqual(frames.map((_, i) => i * 2 ** 20));
  const received = Buffer.concat(frames.map((f) => Buffer.from(f.data)));
  expect(received.equals(csv)).toBe(true);
  expect(frames[frames.length - 1]!.last).toBe(true);
  expect(frames[frames.length - 1]!.sha256).toBe(createHash('sha256').update(csv).digest('hex'));
  expect(party.got.map((f) => f.fileName)).toEqual([...frames.map(() => 'synthetic.csv'), 'manifest.json']);
  expect(audited).toEqual([{ studyId: 's1', partyId: 'p1', files: ['synthetic.csv', 'manifest.json'] }]);
});
