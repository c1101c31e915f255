// localEvaluationWorker: the worker-thread side of LocalEvaluationThreads — scores the delivered
// synthetic.csv against the party's rows (local evaluation, or pooled risk count) off the event loop.
import { parentPort, workerData } from 'node:worker_threads';
import { isFedsynthError, ErrorCode } from '../../shared/errors/FedsynthError.js';
import { runEvaluationJob, type EvaluationJob, type EvaluationToMain } from './LocalEvaluationThreads.js';

const send = (m: EvaluationToMain): void => parentPort!.postMessage(m);
try {
  send({ type: 'done', result: runEvaluationJob(workerData as EvaluationJob) });
} catch (e) {
  const code = isFedsynthError(e) ? e.code : ErrorCode.Internal;
  send({ type: 'failed', code, message: (e as Error)?.message ?? String(e) });
}
