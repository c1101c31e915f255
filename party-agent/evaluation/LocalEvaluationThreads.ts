// LocalEvaluationThreads: runs the party's local-only evaluation and its pooled risk count in worker
// threads, so neither blocks the agent's event loop (heartbeats keep flowing); stop() ends them all.
import type { CodeColumn } from '../../shared/eval/CodeTable.js';
import { Worker } from 'node:worker_threads';
import { ErrorCode, FedsynthError, type ErrorCode as Code } from '../../shared/errors/FedsynthError.js';
import { workerScript } from '../../platform/threads/workerScript.js';
import { evaluateDeliveredOutputs, type EvaluationRunner, type LocalEvaluationInput, type LocalEvaluationResult } from './LocalEvaluation.js';
import { countPooledRisk, type PooledRiskInput, type PooledRiskRunner } from './PooledRiskContribution.js';

/** One job of a worker: the local evaluation, or the pooled risk count. */
export type EvaluationJob = { kind: 'evaluation'; input: LocalEvaluationInput } | { kind: 'pooledRisk'; input: PooledRiskInput };

/** What a job returns. */
type JobResult<J extends EvaluationJob> = J extends { kind: 'evaluation' } ? LocalEvaluationResult : Float64Array;

export type EvaluationToMain = { type: 'done'; result: LocalEvaluationResult | Float64Array } | { type: 'failed'; code: string; message: string };

/** Runs a job in this thread (the worker's body, and the inline fallback). */
export function runEvaluationJob(job: EvaluationJob): LocalEvaluationResult | Float64Array {
  return job.kind === 'evaluation' ? evaluateDeliveredOutputs(job.input) : countPooledRisk(job.input);
}

/** How rows reach the worker. */
export interface RunOptions {
  /** Transfer the rows' buffers instead of copying them (the caller owns them and drops them). */
  readonly transfer?: boolean;
}

const JOB_NAMES: Record<EvaluationJob['kind'], string> = { evaluation: 'local evaluation', pooledRisk: 'pooled risk count' };

/**
 * The heap cap of one evaluation worker, in MB. The worker holds the party's rows (at most
 * MAX_LOCAL_EVALUATION_ROWS a side for the evaluation, moved to it) and the attacked synthetic rows; a cap keeps an unexpectedly large evaluation from taking the agent (and the
 * silo's host) down with it: the worker alone ends, with MODEL_TOO_LARGE.
 */
export const DEFAULT_EVALUATION_MEMORY_MB = 2048;

export class LocalEvaluationThreads implements EvaluationRunner, PooledRiskRunner {
  private readonly running = new Set<Worker>();
  private stopped = false;

  constructor(private readonly memoryMb: number = DEFAULT_EVALUATION_MEMORY_MB) {}

  /**
   * Evaluates in a worker thread (compiled, or from source under vitest), else inline. Rejects with a
   * FedsynthError: the evaluation's own code, INTERNAL for a crashed worker, CANCELLED after stop().
   */
  run(input: LocalEvaluationInput, opts: RunOptions = {}): Promise<LocalEvaluationResult> {
    return this.runJob({ kind: 'evaluation', input }, opts.transfer ? [...input.rows, ...(input.control ?? [])] : []);
  }

  /** The pooled risk count (PooledRiskContribution) in a worker thread, as `run`. */
  runPooledRisk(input: PooledRiskInput, opts: RunOptions = {}): Promise<Float64Array> {
    return this.runJob({ kind: 'pooledRisk', input }, opts.transfer ? [...input.train, ...(input.control ?? [])] : []);
  }

  private async runJob<J extends EvaluationJob>(job: J, moved: readonly CodeColumn[]): Promise<JobResult<J>> {
    const name = JOB_NAMES[job.kind];
    if (this.stopped) throw new FedsynthError(ErrorCode.Cancelled, `the agent is stopping: ${name} not started`);
    const script = workerScript(import.meta.url, 'localEvaluationWorker');
    if (script === undefined) return runEvaluationJob(job) as JobResult<J>;
    // Moved rows: their buffers are transferred (detached here), each once.
    const transferList = [...new Set(moved.map((a) => a.buffer))].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    const worker = new Worker(script.url, { workerData: job, transferList, execArgv: script.execArgv, resourceLimits: { maxOldGenerationSizeMb: this.memoryMb } });
    this.running.add(worker);
    try {
      return await new Promise<JobResult<J>>((resolve, reject) => {
        worker.on('message', (m: EvaluationToMain) => {
          if (m.type === 'done') resolve(m.result as JobResult<J>);
          else reject(new FedsynthError(m.code as Code, m.message));
        });
        worker.on('error', (e: Error & { code?: string }) => {
          if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
            reject(new FedsynthError(ErrorCode.ModelTooLarge, `${name} needs more than its ${this.memoryMb} MB memory cap (synthetic table and the party's rows); the agent is unaffected`));
          } else reject(new FedsynthError(ErrorCode.Internal, `${name} worker failed: ${e.message}`));
        });
        worker.on('exit', (code) => {
          if (this.stopped) reject(new FedsynthError(ErrorCode.Cancelled, `${name} stopped: the agent is stopping`));
          else reject(new FedsynthError(ErrorCode.Internal, `${name} worker exited with code ${code}`));
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
