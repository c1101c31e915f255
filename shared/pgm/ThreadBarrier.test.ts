// Tests for ThreadBarrier on one thread: each phase's second part goes to exactly one thread; waits
// (the other thread simulated through a fake clock) poll while polling pays and give it up when the other thread is not running.
import { describe, expect, it } from 'vitest';
import { ThreadBarrier } from './ThreadBarrier.js';

/**
 * A helper-side barrier whose clock advances 0.01 ms a read; the main side opens the next phase
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
      main.open(++opened, 0);
    }
    return now;
  });
  let seen = 0;
  let opened = 0;
  let sleptBefore = 0;
  return {
    main,
    /** One wait of the helper for the next phase, the main thread opening it after `ms`; the clock reads it took. */
    wait(ms: number): number {
      arriveAfter = ms;
      waitStart = now;
      calls = 0;
      posted = false;
      sleptBefore = main.stats().slept[1];
      seen = helper.nextPhase(seen);
      return calls;
    },
  };
}

describe('ThreadBarrier phases', () => {
  it('give the second part of a phase to the first thread that claims it, once', () => {
    const words = ThreadBarrier.create().words;
    const main = new ThreadBarrier(words, 0);
    const helper = new ThreadBarrier(words, 1);
    main.open(1, 0);
    expect(helper.nextPhase(0)).toBe(1);
    expect(helper.claim(1)).toBe(true);
    expect(main.claim(1)).toBe(false);
    helper.done(1);
    main.awaitDone(1);
    main.open(2, 1);
    expect(main.claim(2)).toBe(true);
    // A helper that comes late finds the part taken, and a later phase open.
    expect(helper.claim(2)).toBe(false);
    main.open(3, 2);
    expect(helper.nextPhase(2)).toBe(3);
    expect(helper.index).toBe(2);
    main.end();
    expect(helper.nextPhase(3)).toBe(0);
    expect(main.stats().parts).toEqual([1, 1]);
  });
});

describe('ThreadBarrier waits', () => {
  it('poll through waits of 0.2 ms (a phase imbalance on a quiet machine) without sleeping', () => {
    const s = simulated();
    for (let k = 0; k < 20; k++) s.wait(0.2);
    // (Counted in polls, the budget was 20,000 polls, ~0.07 ms on a quiet core: these waits slept.)
    expect(s.main.stats()).toEqual({ waits: [0, 20], slept: [0, 0], parts: [0, 0] });
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
