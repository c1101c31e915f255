// followStudy and statusChanges: the watch survives a coordinator restart (stream error, stream
// ended early) with doubling, bounded delays; gives up after the outage limit; stops at once on a
// permanent error; and reports dropouts, charges, offline parties and retries as lines.
import { describe, expect, it } from 'vitest';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { followStudy } from './followStudy.js';
import { statusChanges, type WatchedStatus } from './statusChanges.js';

const party = (partyId: string, o: Partial<WatchedStatus['parties'][number]> = {}) => ({ partyId, online: true, decision: 'approved', rhoCharged: 0, dropped: false, ...o });
const status = (state: string, phase: string, roundsDone: number, parties = [party('a'), party('b')]): WatchedStatus => ({ state, phase, roundsDone, parties });

/** A fake clock advanced by the fake sleep. */
function clock() {
  let t = 0;
  const sleeps: number[] = [];
  return { now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)), sleeps, advance: (ms: number) => (t += ms) };
}

describe('followStudy', () => {
  it('reconnects after a stream error and after a stream that ended early, with doubling delays', async () => {
    const c = clock();
    const lines: string[] = [];
    const scripts: ((on: (s: WatchedStatus) => void) => Promise<WatchedStatus>)[] = [
      async (on) => {
        on(status('running', 'round 1 done', 1));
        throw new FedsynthError(ErrorCode.SourceUnavailable, 'coordinator unreachable: Connection dropped');
      },
      async () => {
        throw new FedsynthError(ErrorCode.SourceUnavailable, 'coordinator unreachable: connect ECONNREFUSED');
      },
      async (on) => {
        const s = status('running', 'round 2 done', 2);
        on(s);
        return s; // ended without a terminal state: the coordinator stopped again
      },
      async (on) => {
        const s = status('done', 'done', 3);
        on(s);
        return s;
      },
    ];
    let call = 0;
    const final = await followStudy({ watchOnce: (on) => scripts[call++]!(on), report: (l) => lines.push(l), sleep: c.sleep, now: c.now, backoff: { minMs: 500, maxMs: 1500 } });
    expect(final.state).toBe('done');
    expect(call).toBe(4);
    expect(c.sleeps).toEqual([500, 1000, 500]); // reset after the reconnection that delivered a status
    expect(lines.filter((l) => l.startsWith('connection to the coordinator lost')).length).toBe(3);
    expect(lines.some((l) => l.includes('the status stream ended before the study did'))).toBe(true);
    expect(lines.filter((l) => l.startsWith('reconnected to the coordinator after')).length).toBe(2);
    expect(lines).toContain('state running -> done: done');
  });

  it('caps the delay and gives up after the outage limit with SOURCE_UNAVAILABLE', async () => {
    const c = clock();
    const lines: string[] = [];
    const p = followStudy({
      watchOnce: async () => {
        throw new FedsynthError(ErrorCode.SourceUnavailable, 'coordinator unreachable');
      },
      report: (l) => lines.push(l),
      sleep: c.sleep,
      now: c.now,
      backoff: { minMs: 1000, maxMs: 4000 },
      maxOutageMs: 20_000,
    });
    await expect(p).rejects.toMatchObject({ code: ErrorCode.SourceUnavailable });
    expect(c.sleeps).toEqual([1000, 2000, 4000, 4000, 4000, 4000, 4000]);
    expect(Math.max(...c.sleeps)).toBe(4000);
  });

  it('stops at once on a permanent error', async () => {
    const c = clock();
    const p = followStudy({
      watchOnce: async () => {
        throw new FedsynthError(ErrorCode.UnknownStudy, "unknown study 'x'");
      },
      report: () => undefined,
      sleep: c.sleep,
      now: c.now,
    });
    await expect(p).rejects.toMatchObject({ code: ErrorCode.UnknownStudy });
    expect(c.sleeps).toEqual([]);
  });
});

describe('statusChanges', () => {
  it('names dropouts, charges, parties going offline and back, decisions and retries', () => {
    const before = status('running', 'round 1 (mst/oneway) done', 1, [party('a', { rhoCharged: 0.01 }), party('b', { rhoCharged: 0.01 }), party('c', { decision: 'pending', online: false })]);
    const after = status('running', 'round 2 (mst/select) done', 2, [party('a', { rhoCharged: 0.02 }), party('b', { rhoCharged: 0.01, online: false, dropped: true }), party('c', { decision: 'refused' })]);
    const lines = statusChanges(before, after);
    expect(lines).toContain('b went offline');
    expect(lines).toContain('c is back online');
    expect(lines).toContain('c refused');
    expect(lines.some((l) => l.startsWith('b dropped out of a round'))).toBe(true);
    expect(lines).toContain('round 2 done; rho charged: a +0.0100 (total 0.02000)');
    const retry = status('running', 'round 3 (mst/measure): 1 of 2 parties answered; retry 1 of 3, waiting up to 60 s for the parties to be back', 2);
    expect(statusChanges(status('running', 'round 2 done', 2), retry)).toEqual([retry.phase]);
    expect(statusChanges(undefined, before)[0]).toMatch(/^study is running: .*c \(pending, offline\)/);
  });

  it('says when a round charged parties without a release, once, as it happens', () => {
    const failedLine = 'round 3 (mst/measure): charged at a, b; not released (TOO_FEW_SURVIVORS: 2 of 3 parties answered)';
    const running = { ...status('running', 'round 3', 2), rounds: [{ index: 3, outcome: 'in_progress', summary: 'round 3 (mst/measure): in progress (attempt 1)' }] };
    const failed = { ...status('running', 'round 3', 2), rounds: [{ index: 3, outcome: 'failed', summary: failedLine }] };
    expect(statusChanges(running, failed)).toEqual([failedLine]);
    expect(statusChanges(failed, { ...failed })).toEqual([]);
    const clean = { ...status('running', 'round 3', 2), rounds: [{ index: 3, outcome: 'released', summary: 'round 3 (mst/measure): released' }] };
    expect(statusChanges(running, clean)).toEqual([]);
  });
});
