// fitHelperWorker: the worker-thread side of FitHelperThread — for each fit it is handed, builds its
// half of the TwoThreadFit kernel over the shared buffers and serves the main thread's commands until the fit ends.
import { parentPort } from 'node:worker_threads';
import { TwoThreadFit, type TwoThreadFitLayout } from '../../shared/pgm/TwoThreadFit.js';
import { ThreadBarrier } from '../../shared/pgm/ThreadBarrier.js';

const port = parentPort!;
port.on('message', (layout: TwoThreadFitLayout) => {
  let fit: TwoThreadFit;
  try {
    fit = TwoThreadFit.helper(layout);
  } catch {
    // The main thread's wait for this helper then ends at once and the fit runs on one thread.
    new ThreadBarrier(new Int32Array(layout.barrier)).abort();
    return;
  }
  fit.barrier.ready();
  try {
    fit.serve();
  } catch {
    // Aborted by the main thread (it gave up waiting, or its fit failed): nothing to clean up.
  }
});
// Loaded: the main thread may hand over fits now.
port.postMessage('up');
