// workerScript: where a service finds the script of a worker thread it starts — the compiled module
// beside the caller, or, running from the TypeScript sources (vitest), the .ts source with a TS loader.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface WorkerScript {
  readonly url: URL;
  readonly execArgv?: string[];
}

/**
 * The worker script `name` (without extension) beside the module at `callerUrl` (its import.meta.url):
 * the compiled `name.js`, or, when the caller runs from its .ts source, `name.ts` if
 * FEDSYNTH_TS_WORKER_IMPORT names a module that lets a worker import TypeScript
 * (test/support/tsWorkerImport.mjs, set by vitest.config.ts); undefined: the caller runs inline.
 */
export function workerScript(callerUrl: string, name: string): WorkerScript | undefined {
  const compiled = new URL(`./${name}.js`, callerUrl);
  if (callerUrl.endsWith('.js') && existsSync(fileURLToPath(compiled))) return { url: compiled };
  const tsImport = process.env.FEDSYNTH_TS_WORKER_IMPORT;
  const source = new URL(`./${name}.ts`, callerUrl);
  if (tsImport && callerUrl.endsWith('.ts') && existsSync(fileURLToPath(source))) return { url: source, execArgv: ['--import', tsImport] };
  return undefined;
}
