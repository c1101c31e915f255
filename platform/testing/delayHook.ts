// delayHook: a test-only fault injector — holds this process at a named stage for a while (a party
// made slow on purpose), so process tests can make a round outlive the coordinator's timeout. Off unless asked.
import { writeSync } from 'node:fs';
import { CRASH_HOOK_ENV } from './crashHook.js';

/** Awaited by a service at each named stage; resolves at once unless this process is to wait there. */
export type DelayHook = (stage: string) => Promise<void>;

/** The environment variables the hook reads (both must be set; the enable flag is the crash hook's). */
export const DELAY_HOOK_ENV = { enable: CRASH_HOOK_ENV.enable, at: 'FEDSYNTH_TEST_DELAY_AT' } as const;

/**
 * The hook of `FEDSYNTH_TEST_DELAY_AT=<stage>:<ms>` (every time the stage is reached) or
 * `<stage>@<n>:<ms>` (only the n-th time), honoured ONLY together with `FEDSYNTH_TEST_HOOKS=1` (an
 * explicit test flag no deployment sets); undefined otherwise, so production code paths await
 * nothing. Each delay writes one line to stderr (`fedsynth test hook: delay <ms> ms at <stage>`)
 * and waits on a timer: the event loop stays free (heartbeats flow), as in a starved process whose
 * work simply takes long.
 */
export function delayHookFromEnv(env: Readonly<Record<string, string | undefined>>): DelayHook | undefined {
  const spec = env[DELAY_HOOK_ENV.at];
  if (env[DELAY_HOOK_ENV.enable] !== '1' || !spec) return undefined;
  const m = /^([A-Za-z][\w.-]*)(?:@(\d+))?:(\d+)$/.exec(spec);
  if (!m) throw new Error(`${DELAY_HOOK_ENV.at}=${spec}: expected <stage>:<ms> or <stage>@<n>:<ms>`);
  const [, target, nth, ms] = m;
  let seen = 0;
  return async (stage) => {
    if (stage !== target) return;
    seen += 1;
    if (nth !== undefined && seen !== Number(nth)) return;
    writeSync(2, `fedsynth test hook: delay ${ms} ms at ${stage}\n`);
    await new Promise((resolve) => setTimeout(resolve, Number(ms)));
  };
}
