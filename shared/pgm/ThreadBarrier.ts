// ThreadBarrier: the two-thread meeting point of a split model fit over shared memory (Atomics): a
// barrier both threads pass together, the command word the main thread wakes its helper with, and an abort flag.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

const ARRIVED = 0;
const GENERATION = 1;
const ABORT = 2;
const COMMAND = 3;
const READY = 4;
const WORDS = 5;
/**
 * Busy polls before blocking, adapted per thread: a phase of a split fit is ~0.01-1 ms, so on an
 * idle core the other thread arrives within the polls and no wake-up is paid; when a wait outlasts
 * them (the other thread is not running: a loaded machine) the polls halve down to MIN_SPINS, so
 * a thread that waits mostly sleeps, and they double back after waits that the polls covered.
 */
const MAX_SPINS = 20_000;
const MIN_SPINS = 100;
/** A wait this long without the other thread means it is gone (a phase takes milliseconds). */
const GIVE_UP_MS = 300_000;

/**
 * Two threads over one Int32Array of 5 words (a SharedArrayBuffer): `arrive` returns once both
 * have arrived (generation counting, reusable at once); `post` / `nextCommand` hand a new command
 * generation to the helper; the helper says `ready` once it can serve them. Either thread may `abort`: the other's wait then throws instead of
 * waiting forever (a helper that failed, a main thread that gave up).
 */
export class ThreadBarrier {
  private spins = MAX_SPINS;

  constructor(readonly words: Int32Array) {}

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

  private waitChange(slot: number, seen: number): void {
    const w = this.words;
    for (let s = 0; s < this.spins; s++) {
      if (Atomics.load(w, slot) !== seen) {
        this.spins = Math.min(MAX_SPINS, this.spins * 2);
        return;
      }
    }
    this.spins = Math.max(MIN_SPINS, this.spins >> 1);
    const deadline = Date.now() + GIVE_UP_MS;
    while (Atomics.load(w, slot) === seen) {
      if (Atomics.load(w, ABORT) !== 0) throw new FedsynthError(ErrorCode.Internal, 'two-thread fit: the other thread stopped');
      if (Date.now() > deadline) {
        this.abort();
        throw new FedsynthError(ErrorCode.Internal, 'two-thread fit: the other thread did not answer');
      }
      Atomics.wait(w, slot, seen, 100);
    }
  }
}
