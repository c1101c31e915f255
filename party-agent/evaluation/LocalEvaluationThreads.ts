// LocalEvaluationThreads: runs the party's local-only evaluation in worker threads, so a long
// evaluation never blocks the agent's event loop (heartbeats keep flowing); stop() ends them all.
import { Worker } from 'node:worker_threads';
import { ErrorCode, FedsynthError, type ErrorCode as Code } from '../../shared/errors/FedsynthError.js';
import { workerScript } from '../../platform/threads/workerScript.js';
import { evaluateDeliveredOutputs, type LocalEvaluationInput } from './LocalEvaluation.js';

export interface LocalEvaluationResult {
  readonly json: string;
  readonly html: string;
  readonly seconds: number;
}

export type EvaluationToMain = { type: 'done'; result: LocalEvaluationResult } | { type: 'failed'; code: string; message: string };

/**
 * The heap cap of one evaluation worker, in MB. The worker holds a copy of the party's rows and the
 * synthetic table; a cap keeps an unexpectedly large evaluation from taking the agent (and the
 * silo's host) down with it: the worker alone ends, with MODEL_TOO_LARGE.
 */
export const DEFAULT_EVALUATION_MEMORY_MB = 2048;

export class LocalEvaluationThreads {
  private readonly running = new Set<Worker>();
  private stopped = false;

  constructor(private readonly memoryMb: number = DEFAULT_EVALUATION_MEMORY_MB) {}

  /**
   * Evaluates in a worker thread (compiled, or from source under vitest), else inline. Rejects with a
   * FedsynthError: the evaluation's own code, INTERNAL for a crashed worker, CANCELLED after stop().
   */
  async run(input: LocalEvaluationInput): Promise<LocalEvaluationResult> {
    if (this.stopped) throw new FedsynthError(ErrorCode.Cancelled, 'the agent is stopping: local evaluation not started');
    const script = workerScript(import.meta.url, 'localEvaluationWorker');
    if (script === undefined) return evaluateDeliveredOutputs(input);
    const worker = new Worker(script.url, { workerData: input, execArgv: script.execArgv, resourceLimits: { maxOldGenerationSizeMb: this.memoryMb } });
    this.running.add(worker);
    try {
      return await new Promise<LocalEvaluationResult>((resolve, reject) => {
        worker.on('message', (m: EvaluationToMain) => {
          if (m.type === 'done') resolve(m.result);
          else reject(new FedsynthError(m.code as Code, m.message));
        });
        worker.on('error', (e: Error & { code?: string }) => {
          if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
            reject(new FedsynthError(ErrorCode.ModelTooLarge, `local evaluation needs more than its ${this.memoryMb} MB memory cap (synthetic table and the party's rows); the agent is unaffected`));
          } else reject(new FedsynthError(ErrorCode.Internal, `local evaluation worker failed: ${e.message}`));
        });
        worker.on('exit', (code) => {
          if (this.stopped) reject(new FedsynthError(ErrorCode.Cancelled, 'local evaluation stopped: the agent is stopping'));
          else reject(new FedsynthError(ErrorCode.Internal, `local evaluation worker exited with code ${code}`));
        });
      });
    } finally {
      this.running.delete(worker);
      await worker.terminate();
    }
  }

  /** Terminates every running evaluation (their run() rejects with CANCELLED); later runs are refused. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.running].map((w) => w.terminate()));
  }
}
