import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['shared/**/*.test.ts', 'platform/**/*.test.ts', 'coordinator/**/*.test.ts', 'party-agent/**/*.test.ts', 'simulation/**/*.test.ts', 'cli/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Code that starts worker threads (the coordinator's mechanism) runs them from the TypeScript
    // sources too, instead of inline on the test worker's event loop (coordinator/study/MechanismThread).
    env: { FEDSYNTH_TS_WORKER_IMPORT: fileURLToPath(new URL('./test/support/tsWorkerImport.mjs', import.meta.url)) },
  },
});
