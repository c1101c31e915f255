// FitHelperThread: the worker thread that serves the second half of two-thread model fits
// (shared/pgm/TwoThreadFit) for a process running a mechanism; one per mechanism run, idle between fits.
import { Worker } from 'node:worker_threads';
import type { FitHelper, TwoThreadFit } from '../../shared/pgm/TwoThreadFit.js';
import { workerScript } from './workerScript.js';

/** How long a fit waits for the helper to take it (its first fit includes the worker's start). */
const ATTACH_MS = 10_000;

export class FitHelperThread implements FitHelper {
  private failed = false;

  private constructor(private readonly worker: Worker) {
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

  attach(fit: TwoThreadFit): boolean {
    if (this.failed) return false;
    this.worker.postMessage(fit.layout);
    return fit.barrier.awaitReady(ATTACH_MS);
  }

  async close(): Promise<void> {
    this.failed = true;
    await this.worker.terminate();
  }
}
