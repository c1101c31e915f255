// mechanismWorker: the worker-thread side of MechanismThread — runs MST/AIM (CPU-heavy fitting and
// sampling) off the coordinator's event loop; every secure sum is asked of the main thread.
import { parentPort, workerData } from 'node:worker_threads';
import { Domain } from '../../shared/pgm/Domain.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { FedsynthError, ErrorCode, type ErrorCode as Code } from '../../shared/errors/FedsynthError.js';
import { measureBySecureSum, type FederatedOracle, type GradientStepRequest, type GradientSumResult, type SecureSumResult } from '../../shared/synth/FederatedOracle.js';
import type { AttributeRecode, LocalQuery } from '../../shared/synth/LocalQuery.js';
import type { Measurement } from '../../shared/pgm/Measurement.js';
import { runMechanism, type MechanismName } from './runMechanism.js';
import { FitHelperThread } from '../../platform/threads/FitHelperThread.js';
import type { ToMain, ToWorker, WorkerInput } from './MechanismThread.js';

const port = parentPort!;
const input = workerData as WorkerInput;
const pending = new Map<number, { resolve: (r: SecureSumResult) => void; reject: (e: Error) => void }>();
const pendingGradients = new Map<number, { resolve: (r: GradientSumResult) => void; reject: (e: Error) => void }>();
let nextId = 0;
/** Settles when the main thread has taken the last streamed chunk of rows. */
let rowsTaken: { resolve: () => void; reject: (e: Error) => void } | undefined;
const send = (m: ToMain, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

port.on('message', (m: ToWorker) => {
  if (m.type === 'rowsTaken' || m.type === 'rowsFailed') {
    const t = rowsTaken;
    rowsTaken = undefined;
    if (m.type === 'rowsTaken') t?.resolve();
    else t?.reject(new FedsynthError(m.code as Code, m.message));
    return;
  }
  const g = pendingGradients.get(m.id);
  if (g) {
    pendingGradients.delete(m.id);
    if (m.type === 'gradient') g.resolve({ sum: m.sum, plan: m.plan });
    else if (m.type === 'error') g.reject(new FedsynthError(m.code as Code, m.message));
    return;
  }
  const p = pending.get(m.id);
  if (!p) return;
  pending.delete(m.id);
  if (m.type === 'result') p.resolve({ values: m.values, stddev: m.stddev });
  else if (m.type === 'error') p.reject(new FedsynthError(m.code as Code, m.message));
});

const domain = new Domain(input.attrs, input.shape);
const oracle: FederatedOracle = {
  domain,
  secureSum(query: LocalQuery, rho: number, label: string): Promise<SecureSumResult> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      send({ type: 'secureSum', id, query, rho, label });
    });
  },
  gradientSum(step: GradientStepRequest, label: string): Promise<GradientSumResult> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pendingGradients.set(id, { resolve, reject });
      send({ type: 'gradientSum', id, step, label });
    });
  },
  measure(attrSets: readonly (readonly string[])[], rho: number, label: string, recode?: readonly AttributeRecode[]): Promise<Measurement[]> {
    return measureBySecureSum(this, attrSets, rho, label, recode);
  },
};

// AIM's fits take a second thread (the coordinator's host is otherwise idle while it fits).
const fitHelper = input.mechanism === 'aim' ? FitHelperThread.start() : undefined;
runMechanism(input.mechanism as MechanismName, oracle, {
  fitHelper,
  rho: input.rho,
  rows: input.rows,
  chunkRows: input.chunkRows,
  // Each chunk's buffers move to the main thread (transferred, not copied); the next is drawn once it is taken.
  onRows: (chunk, values) =>
    new Promise<void>((resolve, reject) => {
      rowsTaken = { resolve, reject };
      send({ type: 'rows', columns: chunk, values }, [...new Set([...chunk, ...(values ?? [])].flatMap((c) => (c ? [c.buffer as ArrayBuffer] : [])))]);
    }),
  sampleRng: seededRandomSource(input.sampleSeed, 'coordinator/sample'),
  seed: input.seed,
  training: input.training,
  schemaJson: input.schemaJson,
  delta: input.delta,
  onRound: (round, rounds, epsilonSpent) => send({ type: 'round', round, rounds, epsilonSpent }),
  // The model is fitted: the helper thread (idle from now on) goes before the rows are drawn.
  onFit: () => {
    void fitHelper?.close();
    send({ type: 'fitting' });
  },
})
  .finally(() => fitHelper?.close())
  .then(
    (out) => send({ type: 'done', rows: out.rows, modelJson: out.modelJson, details: out.details }),
    (e: unknown) => {
      const code = e instanceof FedsynthError ? e.code : ((e as { code?: string })?.code as Code | undefined) ?? ErrorCode.Internal;
      send({ type: 'failed', code, message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack });
    },
  );
