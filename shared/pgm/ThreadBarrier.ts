// ThreadBarrier: the meeting point of a split model fit's two threads over shared memory (Atomics):
// phases the main thread opens, the helper's part of each claimed by whichever thread gets to it first, and an abort flag.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** The open phase (1, 2, ...; 0: none yet), its index in its command, and the phases whose second part was claimed, and done. */
const PHASE = 0;
const INDEX = 1;
const CLAIMED = 2;
const DONE = 3;
const ABORT = 4;
const READY = 5;
const ENDED = 6;
/** Per thread (0: main, 1: helper): the waits, those that slept, and the second parts it ran (`stats`). */
const WAITS = 7;
const SLEPT = 9;
const PARTS = 11;
const WORDS = 13;
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
 * Two threads over one Int32Array of 13 words (a SharedArrayBuffer). Each phase of the work has
 * two parts that touch different cells. The main thread opens phase g (`open`), runs the first
 * part, and then either claims the second (`claim`: the helper has not taken it) and runs it too,
 * or waits until the helper that took it is done (`awaitDone`). The helper waits for the next
 * open phase (`nextPhase`), claims its second part if the main thread has not, runs it and says
 * so (`done`). So the main thread never waits for a helper that is not running (a loaded
 * machine: it then does the phase alone), only for a part the helper is in the middle of; and
 * which thread ran a part changes no float. The helper says `ready` once it can serve; `end`
 * releases it. Either thread may `abort`: the other's wait then throws instead of waiting
 * forever (a helper that failed, a main thread that gave up).
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

  /** Main thread: opens phase `g` (the one after the last), `index` its place in the current command. */
  open(g: number, index: number): void {
    const w = this.words;
    Atomics.store(w, INDEX, index);
    Atomics.store(w, PHASE, g);
    Atomics.notify(w, PHASE);
  }

  /** Either thread: whether it took the second part of open phase `g` (false: the other thread had). */
  claim(g: number): boolean {
    if (Atomics.compareExchange(this.words, CLAIMED, g - 1, g) !== g - 1) return false;
    this.words[PARTS + this.thread]++;
    return true;
  }

  /** Main thread: waits until the helper has run the second part of phase `g`, which it claimed. */
  awaitDone(g: number): void {
    const w = this.words;
    for (let seen = Atomics.load(w, DONE); seen !== g; seen = Atomics.load(w, DONE)) this.waitChange(DONE, seen);
  }

  /** Helper: the second part of phase `g` is done. */
  done(g: number): void {
    Atomics.store(this.words, DONE, g);
    Atomics.notify(this.words, DONE);
  }

  /** The open phase (its index in its command: `index`). */
  get phase(): number {
    return Atomics.load(this.words, PHASE);
  }

  get index(): number {
    return Atomics.load(this.words, INDEX);
  }

  /** Helper: waits until a phase after `seen` is open, and returns it; 0 once the main thread has ended. */
  nextPhase(seen: number): number {
    const w = this.words;
    for (;;) {
      if (Atomics.load(w, ENDED) !== 0) return 0;
      const g = Atomics.load(w, PHASE);
      if (g !== seen) return g;
      this.waitChange(PHASE, seen);
    }
  }

  /** Main thread: no more phases (the helper's `nextPhase` returns 0). */
  end(): void {
    Atomics.store(this.words, ENDED, 1);
    Atomics.notify(this.words, PHASE);
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
    Atomics.notify(this.words, PHASE);
    Atomics.notify(this.words, DONE);
  }

  get aborted(): boolean {
    return Atomics.load(this.words, ABORT) !== 0;
  }

  /** Per thread: how many waits it had, how many of them slept, and how many second parts it ran. */
  stats(): { waits: [number, number]; slept: [number, number]; parts: [number, number] } {
    const w = this.words;
    const pair = (at: number): [number, number] => [Atomics.load(w, at), Atomics.load(w, at + 1)];
    return { waits: pair(WAITS), slept: pair(SLEPT), parts: pair(PARTS) };
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
      if (Atomics.load(w, ENDED) !== 0) return;
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
