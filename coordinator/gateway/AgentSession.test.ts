// Tests of AgentSession.sendWhenDrained: a sender waits while the stream's buffer is full, goes on at
// 'drain', and is released with PartyUnavailable when the party leaves first.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type * as grpc from '@grpc/grpc-js';
import type { AgentMessage, CoordinatorMessage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { AgentSession } from './AgentSession.js';

/** A stream whose buffer holds `room` frames until drain() empties it. */
class FakeStream extends EventEmitter {
  readonly frames: CoordinatorMessage[] = [];
  buffered = 0;
  constructor(private readonly room: number) {
    super();
  }
  write(m: CoordinatorMessage): boolean {
    this.frames.push(m);
    return ++this.buffered < this.room;
  }
  drain(): void {
    this.buffered = 0;
    this.emit('drain');
  }
  end(): void {
    this.emit('close');
  }
}

const heartbeat = { $case: 'heartbeat' as const, value: { unixMs: 1 } };
const session = (s: FakeStream) => new AgentSession('p1', new Uint8Array(), s as unknown as grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage>);

describe('AgentSession.sendWhenDrained', () => {
  it('resolves at once while the buffer has room, and only after drain once it is full', async () => {
    const stream = new FakeStream(2);
    const s = session(stream);
    await s.sendWhenDrained(heartbeat); // 1 buffered: room left
    let done = false;
    const p = s.sendWhenDrained(heartbeat).then(() => (done = true)); // 2 buffered: full
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    stream.drain();
    await p;
    expect(done).toBe(true);
    expect(stream.frames.map((f) => f.seq)).toEqual([1, 2]);
    expect(stream.listenerCount('drain')).toBe(0);
  });

  it('rejects a waiting sender when the session closes or the stream ends', async () => {
    const a = new FakeStream(1);
    const sa = session(a);
    const pa = sa.sendWhenDrained(heartbeat);
    sa.close('left');
    await expect(pa).rejects.toThrow(/unavailable/);
    const b = new FakeStream(1);
    const pb = session(b).sendWhenDrained(heartbeat);
    b.emit('close');
    await expect(pb).rejects.toThrow(/stream closed/);
    expect(() => sa.send(heartbeat)).toThrow(/stream closed/);
  });
});
