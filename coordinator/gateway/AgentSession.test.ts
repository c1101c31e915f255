// Tests of AgentSession.sendFlushed: a sender's promise resolves when the stream hands the frame on
// (its write callback), rejects when the write fails, and is released with PartyUnavailable when the
// party leaves first (grpc-js never calls back a cancelled call's write); and of reply matching by attempt.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type * as grpc from '@grpc/grpc-js';
import { RoundReply, RoundRequest, type AgentMessage, type CoordinatorMessage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { AgentSession } from './AgentSession.js';

/** A stream that holds every frame's write callback until flush() calls it. */
class FakeStream extends EventEmitter {
  readonly frames: CoordinatorMessage[] = [];
  private readonly callbacks: ((err?: Error | null) => void)[] = [];
  write(m: CoordinatorMessage, cb?: (err?: Error | null) => void): boolean {
    this.frames.push(m);
    if (cb) this.callbacks.push(cb);
    return true;
  }
  flush(err?: Error): void {
    this.callbacks.shift()?.(err ?? null);
  }
  end(): void {
    this.emit('close');
  }
}

const heartbeat = { $case: 'heartbeat' as const, value: { unixMs: 1 } };
const session = (s: FakeStream) => new AgentSession('p1', new Uint8Array(), s as unknown as grpc.ServerDuplexStream<AgentMessage, CoordinatorMessage>);
const tick = () => new Promise((r) => setTimeout(r, 20));

describe('AgentSession.sendFlushed', () => {
  it('resolves only once the stream called back for that frame', async () => {
    const stream = new FakeStream();
    const s = session(stream);
    let first = false;
    let second = false;
    const p1 = s.sendFlushed(heartbeat).then(() => (first = true));
    const p2 = s.sendFlushed(heartbeat).then(() => (second = true));
    await tick();
    expect([first, second]).toEqual([false, false]);
    stream.flush();
    await p1;
    await tick();
    expect([first, second]).toEqual([true, false]);
    stream.flush();
    await p2;
    expect(stream.frames.map((f) => f.seq)).toEqual([1, 2]);
    expect(stream.listenerCount('close')).toBe(0);
  });

  it('rejects when the write fails, the session closes or the stream ends', async () => {
    const w = new FakeStream();
    const pw = session(w).sendFlushed(heartbeat);
    w.flush(new Error('reset'));
    await expect(pw).rejects.toThrow(/write failed: reset/);
    const a = new FakeStream();
    const sa = session(a);
    const pa = sa.sendFlushed(heartbeat);
    sa.close('left');
    await expect(pa).rejects.toThrow(/unavailable/);
    a.flush(); // a late callback changes nothing
    const b = new FakeStream();
    const pb = session(b).sendFlushed(heartbeat);
    b.emit('close');
    await expect(pb).rejects.toThrow(/stream closed/);
    expect(() => sa.send(heartbeat)).toThrow(/stream closed/);
    await expect(sa.sendFlushed(heartbeat)).rejects.toThrow(/stream closed/);
  });
});

describe('AgentSession.request: a reply is matched on study, round id and attempt', () => {
  it('a late reply to attempt 1 of a round is not the answer to attempt 2 of the same round id', async () => {
    const stream = new FakeStream();
    const s = session(stream);
    const ask = (attempt: number) => RoundRequest.fromPartial({ studyId: 's', roundId: 's/r0', attempt, stage: { $case: 'compute', value: {} } });
    const answer = (attempt: number, code: string) => RoundReply.fromPartial({ studyId: 's', roundId: 's/r0', attempt, stage: { $case: 'refusal', value: { code, message: '' } } });
    await expect(s.request(ask(1), 10)).rejects.toThrow(/no reply within 10 ms/);
    const retry = s.request(ask(2), 5000);
    expect(stream.frames.map((f) => (f.body?.$case === 'roundRequest' ? f.body.value.attempt : -1))).toEqual([1, 2]);
    expect(s.deliver(answer(1, 'LATE'))).toBe(false);
    expect(s.deliver(answer(2, 'OURS'))).toBe(true);
    await expect(retry).resolves.toMatchObject({ attempt: 2, stage: { $case: 'refusal', value: { code: 'OURS' } } });
  });
});
