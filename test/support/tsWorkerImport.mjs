// tsWorkerImport: `--import` target for worker threads started from the TypeScript sources (see
// tsWorkerHooks); vitest.config passes its path to the code under test as FEDSYNTH_TS_WORKER_IMPORT.
import { register } from 'node:module';

register('./tsWorkerHooks.mjs', import.meta.url);
