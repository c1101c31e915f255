// ThreadBarrier: the two-thread meeting point of a split model fit over shared memory (Atomics): a
// barrier both threads pass together, the command word the main thread wakes its helper with, and an abort flag.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

const ARRIVED = 0;
const GENERATION = 1;
const ABORT = 2;
const COMMAND = 3;
const READY = 4;
/** Per thread (0: main, 1: helper): the waits, and those that slept (`stats`). */
const WAITS = 5;
const SLEPT = 7;
const WORDS = 9;
/**
 * How long a wait polls before it sleeps, adapted per thread. The imbalance of a phase of a split
 * fit and the main thread's loss evaluation between commands are ~0.01-0.2 ms, so on a quiet
 * machine the other thread arrives while this one polls and no wake-up is paid (waking a
 * sleeping thread costs more than most waits, on a VM especially). A wait that polling covered,
 * or that slept but still ended within MAX_SPIN_MS (the other thread was running, its part was
 * long), doubles the budget; a longer one (the other thread was not running: a loaded machine)
 * halves it down to MIN_SPIN_MS, so a thread that waits mostly sleeps instead of taking its
 * sibling's CPU. Time, not a count of polls: a poll costs ~3 ns quiet and far more under load.
 * (Counted in polls, the budget was 20,000 polls, ~0.07 ms on a quiet core, halved by every wait
 * that outlasted it and doubled only by waits it covered: once shrunk, waits of ~0.1 ms slept at
 * every meeting.) Under load ~29 the fit's CPU stays that of the polls-counted budget (1.25 vs
 * 1.19 s for 60 iterations of a demo's final fit); a 1 ms budget that jumped to twice a short
 * wait took 2.1 s.
 */
const MAX_SPIN_MS = 0.3;
const MIN_SPIN_MS = 0.002;
/** Polls between two clock reads (and before the first: most waits end within them). */
const POLLS = 64;
/** A wait this long without the other thread means it is gone (a phase takes milliseconds). */
const GIVE_UP_MS = 300_000;

/**
 * Two threads over one Int32Array of 9 words (a SharedArrayBuffer): `arrive` returns once both
 * have arrived (generation counting, reusable at once); `post` / `nextCommand` hand a new command
 * generation to the helper; the helper says `ready` once it can serve them. Either thread may
 * `abort`: the other's wait then throws instead of waiting forever (a helper that failed, a main
 * thread that gave up).
 */
export class ThreadBarrier {
  private spinMs = MAX_SPIN_MS;

  /**
   * `thread`: 0 for the main thread, 1 for the helper (which `stats` slots this side counts in);
   * `clock`: milliseconds (tests replace it).
   */
  constructor(
    readonly words: Int32Array,
    private readonly thread: 0 | 1 = 0,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  static create(): ThreadBarrier {
    return new ThreadBarrier(new Int32Array(new SharedArrayBuffer(WORDS * Int32Array.BYTES_PER_ELEMENT)));
  }

  arrive(): void {
    const w = this.words;
    const gen = Atomics.load(w, GENERATION);
    if (Atomics.add(w, ARRIVED, 1) === 1) {
      Atomics.store(w, ARRIVED, 0);
      Atomics.add(w, GENERATION, 1);
      Atomics.notify(w, GENERATION);
      return;
    }
    this.waitChange(GENERATION, gen);
  }

  /** Main thread: starts command generation `n + 1` (the helper reads its parameters after the wake-up). */
  post(): void {
    Atomics.add(this.words, COMMAND, 1);
    Atomics.notify(this.words, COMMAND);
  }

  /** Helper: waits for the command after generation `seen` and returns its generation. */
  nextCommand(seen: number): number {
    this.waitChange(COMMAND, seen);
    return Atomics.load(this.words, COMMAND);
  }

  /** Helper: it has built its kernel and serves commands. */
  ready(): void {
    Atomics.store(this.words, READY, 1);
    Atomics.notify(this.words, READY);
  }

  /** Main thread: whether the helper became ready within `ms` (if not, the fit is aborted for it). */
  awaitReady(ms: number): boolean {
    const deadline = Date.now() + ms;
    while (Atomics.load(this.words, READY) === 0) {
      const left = deadline - Date.now();
      if (left <= 0 || this.aborted) {
        this.abort();
        return false;
      }
      Atomics.wait(this.words, READY, 0, Math.min(left, 100));
    }
    return true;
  }

  abort(): void {
    Atomics.store(this.words, ABORT, 1);
    Atomics.notify(this.words, GENERATION);
    Atomics.notify(this.words, COMMAND);
  }

  get aborted(): boolean {
    return Atomics.load(this.words, ABORT) !== 0;
  }

  /** Per thread: how many waits (meetings and commands) it had, and how many of them slept. */
  stats(): { waits: [number, number]; slept: [number, number] } {
    const w = this.words;
    return { waits: [Atomics.load(w, WAITS), Atomics.load(w, WAITS + 1)], slept: [Atomics.load(w, SLEPT), Atomics.load(w, SLEPT + 1)] };
  }

  private waitChange(slot: number, seen: number): void {
    const w = this.words;
    const t = this.thread;
    w[WAITS + t]++;
    if (this.poll(slot, seen)) return this.covered();
    const start = this.clock();
    while (this.clock() - start < this.spinMs) if (this.poll(slot, seen)) return this.covered();
    w[SLEPT + t]++;
    this.sleep(slot, seen);
    // A wait that polling MAX_SPIN_MS would have covered (the other thread was running, its part
    // was long): poll twice as long next time; a longer one (it was not running): half.
    if (this.clock() - start <= MAX_SPIN_MS) this.covered();
    else this.spinMs = Math.max(MIN_SPIN_MS, this.spinMs / 2);
  }

  /** Sleeps until `slot` changes from `seen` (or the other thread aborts, or is gone). */
  private sleep(slot: number, seen: number): void {
    const w = this.words;
    const deadline = this.clock() + GIVE_UP_MS;
    while (Atomics.load(w, slot) === seen) {
      if (Atomics.load(w, ABORT) !== 0) throw new FedsynthError(ErrorCode.Internal, 'two-thread fit: the other thread stopped');
      if (this.clock() > deadline) {
        this.abort();
        throw new FedsynthError(ErrorCode.Internal, 'two-thread fit: the other thread did not answer');
      }
      Atomics.wait(w, slot, seen, 100);
    }
  }

  private covered(): void {
    this.spinMs = Math.min(MAX_SPIN_MS, this.spinMs * 2);
  }

  /** Whether `slot` changed from `seen` within POLLS polls. */
  private poll(slot: number, seen: number): boolean {
    const w = this.words;
    for (let s = 0; s < POLLS; s++) if (Atomics.load(w, slot) !== seen) return true;
    return false;
  }
}
