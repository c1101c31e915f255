// Tests for ThreadBarrier's waits on one thread, the other thread simulated through a fake clock:
// a wait polls (never sleeps) while polling pays, and gives polling up when the other thread is not running.
import { describe, expect, it } from 'vitest';
import { ThreadBarrier } from './ThreadBarrier.js';

/**
 * A helper-side barrier whose clock advances 0.01 ms a read; the main side posts the next command
 * once the current wait has lasted `ms`. When the helper stops polling before that (its slept count
 * rose), the clock jumps to that time, as if it slept until then. `wait` returns the clock reads.
 */
function simulated() {
  const words = ThreadBarrier.create().words;
  const main = new ThreadBarrier(words, 0);
  let now = 0;
  let waitStart = 0;
  let arriveAfter = 0;
  let calls = 0;
  let posted = true;
  const helper = new ThreadBarrier(words, 1, () => {
    calls++;
    now += 0.01;
    if (!posted && main.stats().slept[1] > sleptBefore) now = Math.max(now, waitStart + arriveAfter);
    if (!posted && now - waitStart >= arriveAfter) {
      posted = true;
      main.post();
    }
    return now;
  });
  let seen = 0;
  let sleptBefore = 0;
  return {
    main,
    /** One command wait of the helper, the main thread posting after `ms`; the clock reads it took. */
    wait(ms: number): number {
      arriveAfter = ms;
      waitStart = now;
      calls = 0;
      posted = false;
      sleptBefore = main.stats().slept[1];
      seen = helper.nextCommand(seen);
      return calls;
    },
  };
}

describe('ThreadBarrier waits', () => {
  it('poll through waits of 0.2 ms (a phase imbalance on a quiet machine) without sleeping', () => {
    const s = simulated();
    for (let k = 0; k < 20; k++) s.wait(0.2);
    // (Counted in polls, the budget was 20,000 polls, ~0.07 ms on a quiet core: these waits slept.)
    expect(s.main.stats()).toEqual({ waits: [0, 20], slept: [0, 0] });
  });

  it('give polling up when the other thread is not running, and poll again once it runs', () => {
    const s = simulated();
    const reads: number[] = [];
    // Waits of 10 ms: the other thread was descheduled.
    for (let k = 0; k < 12; k++) reads.push(s.wait(10));
    expect(s.main.stats().slept[1]).toBe(12);
    // The first wait polls 0.3 ms (~30 reads of the 0.01 ms clock), each later one half as long
    // (down to the few reads around a sleep).
    expect(reads[0]).toBeGreaterThanOrEqual(28);
    expect(reads[11], String(reads)).toBeLessThanOrEqual(5);
    // Waits of 0.2 ms (the other thread runs again) sleep a few times while the budget doubles
    // back, then polling covers them.
    for (let k = 0; k < 12; k++) s.wait(0.2);
    const slept = s.main.stats().slept[1];
    expect(slept).toBeLessThanOrEqual(12 + 8);
    for (let k = 0; k < 10; k++) s.wait(0.2);
    expect(s.main.stats().slept[1]).toBe(slept);
  });
});
