// FitHelperThread: the worker thread that serves the second half of two-thread model fits
// (shared/pgm/TwoThreadFit) for a process running a mechanism; one per mechanism run, idle between fits.
import { Worker } from 'node:worker_threads';
import type { FitHelper, TwoThreadFit } from '../../shared/pgm/TwoThreadFit.js';
import { workerScript } from './workerScript.js';

/** How long a fit waits for the helper to take it (its first fit includes the worker's start). */
const ATTACH_MS = 10_000;

export class FitHelperThread implements FitHelper {
  private failed = false;
  private up = false;
  /** Resolves once the worker has loaded (true), or it failed first (false). */
  readonly ready: Promise<boolean>;

  private constructor(private readonly worker: Worker) {
    this.ready = new Promise((resolve) => {
      worker.once('message', () => {
        this.up = true;
        resolve(!this.failed);
      });
      worker.once('error', () => resolve(false));
      worker.once('exit', () => resolve(false));
    });
    worker.on('error', () => {
      this.failed = true;
    });
    worker.on('exit', () => {
      this.failed = true;
    });
  }

  /**
   * Starts the helper thread, or undefined when this runtime cannot (no worker script beside this
   * module, no SharedArrayBuffer, a Worker that fails to start): fits then run on one thread.
   */
  static start(): FitHelperThread | undefined {
    const script = workerScript(import.meta.url, 'fitHelperWorker');
    if (script === undefined || typeof SharedArrayBuffer !== 'function') return undefined;
    try {
      return new FitHelperThread(new Worker(script.url, { execArgv: script.execArgv }));
    } catch {
      return undefined;
    }
  }

  /** False at once while the worker is still loading (the fit then runs on one thread rather than wait). */
  attach(fit: TwoThreadFit): boolean {
    if (this.failed || !this.up) return false;
    this.worker.postMessage(fit.layout);
    return fit.barrier.awaitReady(ATTACH_MS);
  }

  async close(): Promise<void> {
    this.failed = true;
    await this.worker.terminate();
  }
}
