// crashHook: a test-only fault injector — SIGKILLs this process (kill -9: no shutdown code runs) at
// a named protocol stage, so process tests can crash a service at a precise point. Off unless asked.
import { writeSync } from 'node:fs';

/** Called by a service at each named stage; returns normally unless this process is to die there. */
export type CrashHook = (stage: string) => void;

/** The environment variables the hook reads (both must be set). */
export const CRASH_HOOK_ENV = { enable: 'FEDSYNTH_TEST_HOOKS', at: 'FEDSYNTH_TEST_CRASH_AT' } as const;

/**
 * The hook of `FEDSYNTH_TEST_CRASH_AT=<stage>` (or `<stage>@<n>`: at the n-th time the stage is
 * reached, default 1), honoured ONLY together with `FEDSYNTH_TEST_HOOKS=1` (an explicit test flag
 * no deployment sets); undefined otherwise, so production code paths call nothing. When the stage
 * is reached it writes one line to stderr (`fedsynth test hook: SIGKILL at <stage>`) and kills
 * this process with SIGKILL.
 */
export function crashHookFromEnv(env: Readonly<Record<string, string | undefined>>): CrashHook | undefined {
  const spec = env[CRASH_HOOK_ENV.at];
  if (env[CRASH_HOOK_ENV.enable] !== '1' || !spec) return undefined;
  const m = /^([A-Za-z][\w.-]*)(?:@(\d+))?$/.exec(spec);
  if (!m) throw new Error(`${CRASH_HOOK_ENV.at}=${spec}: expected <stage> or <stage>@<n>`);
  const [, target, nth] = m;
  let seen = 0;
  const at = nth ? Number(nth) : 1;
  return (stage) => {
    if (stage !== target || ++seen !== at) return;
    writeSync(2, `fedsynth test hook: SIGKILL at ${stage}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}
