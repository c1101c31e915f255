// MechanismThread: runs the synthesis mechanism in a worker thread so that long model fits never
// block the coordinator's event loop (heartbeats, keepalives, operator API stay responsive); the
// worker's secure sums are executed here, on the real FederatedOracle.
import { Worker } from 'node:worker_threads';
import { workerScript } from '../../platform/threads/workerScript.js';
import { ErrorCode, FedsynthError, isFedsynthError, type ErrorCode as Code } from '../../shared/errors/FedsynthError.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import type { FederatedOracle } from '../../shared/synth/FederatedOracle.js';
import type { LocalQuery } from '../../shared/synth/LocalQuery.js';
import { runMechanism, type MechanismName, type MechanismOutput, type MechanismRunOptions } from './runMechanism.js';
import type { GradientStepRequest } from '../../shared/synth/FederatedOracle.js';
import type { GradientRoundPlan } from '../../shared/dp/gradient/GradientRoundPlan.js';
import type { DpsgdTraining } from '../../shared/study/StudySpec.js';

export interface WorkerInput {
  mechanism: MechanismName;
  attrs: string[];
  shape: number[];
  rho: number;
  rows: number;
  /** Rows per streamed chunk (runMechanism's chunkRows). */
  chunkRows?: number;
  sampleSeed: string;
  seed?: string;
  training?: DpsgdTraining;
  schemaJson?: string;
  delta?: number;
}

export type ToMain =
  | { type: 'secureSum'; id: number; query: LocalQuery; rho: number; label: string }
  | { type: 'gradientSum'; id: number; step: GradientStepRequest; label: string }
  | { type: 'round'; round: number; rounds: number; epsilonSpent: number }
  | { type: 'fitting' }
  | { type: 'rows'; columns: Int32Array[]; values?: (Float64Array | null)[] }
  | { type: 'done'; rows: number; modelJson: unknown; details: Record<string, unknown> }
  | { type: 'failed'; code: string; message: string; stack?: string };

export type ToWorker =
  | { type: 'result'; id: number; values: Float64Array; stddev: number }
  | { type: 'gradient'; id: number; sum: Float64Array; plan: GradientRoundPlan }
  | { type: 'error'; id: number; code: string; message: string }
  /** The main thread has handled the last 'rows' chunk: the worker may draw the next. */
  | { type: 'rowsTaken' }
  | { type: 'rowsFailed'; code: string; message: string };

/**
 * Runs the mechanism in a worker thread (compiled, or from source under vitest: a fit never blocks
 * the event loop of the process that runs the coordinator), else inline.
 */
export async function runMechanismInWorker(
  name: MechanismName,
  oracle: FederatedOracle,
  opts: Omit<MechanismRunOptions, 'sampleRng'> & { sampleSeed: string },
): Promise<MechanismOutput> {
  const script = workerScript(import.meta.url, 'mechanismWorker');
  if (script === undefined) {
    return runMechanism(name, oracle, { ...opts, sampleRng: seededRandomSource(opts.sampleSeed, 'coordinator/sample') });
  }
  const input: WorkerInput = { mechanism: name, attrs: [...oracle.domain.attrs], shape: [...oracle.domain.shape], rho: opts.rho, rows: opts.rows, chunkRows: opts.chunkRows, sampleSeed: opts.sampleSeed, seed: opts.seed, training: opts.training, schemaJson: opts.schemaJson, delta: opts.delta };
  const worker = new Worker(script.url, { workerData: input, resourceLimits: { maxOldGenerationSizeMb: 4096 }, execArgv: script.execArgv });
  try {
    return await new Promise<MechanismOutput>((resolve, reject) => {
      worker.on('message', (m: ToMain) => {
        switch (m.type) {
          case 'secureSum':
            oracle.secureSum(m.query, m.rho, m.label).then(
              (r) => worker.postMessage({ type: 'result', id: m.id, values: r.values, stddev: r.stddev } satisfies ToWorker),
              (e: unknown) =>
                worker.postMessage({ type: 'error', id: m.id, code: isFedsynthError(e) ? e.code : ErrorCode.Internal, message: (e as Error)?.message ?? String(e) } satisfies ToWorker),
            );
            return;
          case 'gradientSum': {
            const gradientSum = oracle.gradientSum?.bind(oracle);
            const fail = (e: unknown) =>
              worker.postMessage({ type: 'error', id: m.id, code: isFedsynthError(e) ? e.code : ErrorCode.Internal, message: (e as Error)?.message ?? String(e) } satisfies ToWorker);
            if (gradientSum === undefined) fail(new FedsynthError(ErrorCode.InvalidArgument, 'this oracle has no gradient rounds'));
            else gradientSum(m.step, m.label).then((r) => worker.postMessage({ type: 'gradient', id: m.id, sum: r.sum, plan: r.plan } satisfies ToWorker), fail);
            return;
          }
          case 'round':
            opts.onRound?.(m.round, m.rounds, m.epsilonSpent);
            return;
          case 'fitting':
            opts.onFit?.();
            return;
          case 'rows':
            // One chunk at a time: the worker waits for rowsTaken before drawing the next.
            Promise.resolve()
              .then(() => opts.onRows(m.columns, m.values))
              .then(
                () => worker.postMessage({ type: 'rowsTaken' } satisfies ToWorker),
                (e: unknown) => worker.postMessage({ type: 'rowsFailed', code: isFedsynthError(e) ? e.code : ErrorCode.Internal, message: (e as Error)?.message ?? String(e) } satisfies ToWorker),
              );
            return;
          case 'done':
            resolve({ rows: m.rows, modelJson: m.modelJson, details: m.details });
            return;
          case 'failed': {
            const err = new FedsynthError(m.code as Code, m.message);
            if (m.stack) err.stack = m.stack;
            reject(err);
            return;
          }
        }
      });
      worker.on('error', (e) => reject(e));
      worker.on('exit', (code) => {
        if (code !== 0) reject(new FedsynthError(ErrorCode.Internal, `mechanism worker exited with code ${code}`));
      });
    });
  } finally {
    await worker.terminate();
  }
}
