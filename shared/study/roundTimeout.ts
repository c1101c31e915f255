// roundTimeout: how long the coordinator waits for a party's answer to one stage of a round — the
// default, the bounds an operator may set per study, and the value a study runs with.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** The coordinator's default (`fedsynth coordinator start --round-timeout`). */
export const DEFAULT_ROUND_TIMEOUT_MS = 120_000;
/** The shortest timeout a study may ask for (a round stage over mTLS on an idle machine takes milliseconds; 1 s is a test's value). */
export const MIN_ROUND_TIMEOUT_MS = 1_000;
/** The longest: one day per stage (a round retried 3 times then waits at most 4 days). */
export const MAX_ROUND_TIMEOUT_MS = 86_400_000;

/**
 * Checks a per-study round timeout (`CreateStudyRequest.round_timeout_ms`, ms): 0 = the
 * coordinator's default; anything else an integer in [MIN_ROUND_TIMEOUT_MS, MAX_ROUND_TIMEOUT_MS],
 * else INVALID_ARGUMENT naming `field`.
 */
export function checkRoundTimeoutMs(ms: number, field: string): number {
  if (ms === 0) return 0;
  if (!Number.isInteger(ms) || ms < MIN_ROUND_TIMEOUT_MS || ms > MAX_ROUND_TIMEOUT_MS) {
    throw new FedsynthError(ErrorCode.InvalidArgument, `${field}: ${ms} is not 0 (the coordinator's default) nor a whole number of ms in [${MIN_ROUND_TIMEOUT_MS}, ${MAX_ROUND_TIMEOUT_MS}]`, { field });
  }
  return ms;
}

/** The timeout a study runs with: its own when set (non-zero), else the coordinator's. */
export function studyRoundTimeoutMs(studyMs: number, coordinatorMs: number): number {
  return studyMs > 0 ? studyMs : coordinatorMs;
}
