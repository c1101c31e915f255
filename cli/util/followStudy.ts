// followStudy: watches a study to its end across coordinator restarts — reconnects with bounded
// exponential backoff, reports each change, each outage and each long wait as it happens.
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import { isTerminal, parseStudyState } from '../../shared/study/StudyLifecycle.js';
import { statusChanges, type WatchedStatus } from './statusChanges.js';

export interface FollowOptions<S extends WatchedStatus> {
  /** One watch stream: calls onStatus per status, resolves with the last one when the stream ends. */
  watchOnce(onStatus: (s: S) => void): Promise<S>;
  /** Each event line (the CLI writes them to stderr). */
  report(line: string): void;
  /** Each status (the CLI's progress line). */
  onStatus?(s: S): void;
  /** Give up after the coordinator has been unreachable this long (default 10 minutes). */
  maxOutageMs?: number;
  /** Reconnect delays: doubling from `minMs` up to `maxMs` (defaults 500 ms, 10 s). */
  backoff?: { minMs: number; maxMs: number };
  /** Say "still ..." after this long without any change (default 30 s). */
  quietMs?: number;
  sleep?(ms: number): Promise<void>;
  now?(): number;
}

function terminal(state: string): boolean {
  try {
    return isTerminal(parseStudyState(state));
  } catch {
    return false;
  }
}

/** Errors after which reconnecting can help: the coordinator unreachable or the stream cut. */
function transient(e: unknown): boolean {
  return isFedsynthError(e) && (e.code === ErrorCode.SourceUnavailable || e.code === ErrorCode.Internal);
}

/** Follows the study until a terminal state; throws after a permanent error or too long an outage. */
export async function followStudy<S extends WatchedStatus>(o: FollowOptions<S>): Promise<S> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = o.now ?? Date.now;
  const { minMs, maxMs } = o.backoff ?? { minMs: 500, maxMs: 10_000 };
  const maxOutageMs = o.maxOutageMs ?? 600_000;
  const quietMs = o.quietMs ?? 30_000;
  let last: S | undefined;
  let lastChange = now();
  let outageSince: number | undefined;
  let delay = minMs;
  const quiet = setInterval(() => {
    if (last && !terminal(last.state) && outageSince === undefined && now() - lastChange >= quietMs) {
      o.report(`still ${last.state}: ${last.phase} (no change for ${Math.round((now() - lastChange) / 1000)} s)`);
    }
  }, quietMs);
  quiet.unref();
  try {
    for (;;) {
      let ended: S | undefined;
      let failure: unknown;
      try {
        ended = await o.watchOnce((s) => {
          if (outageSince !== undefined) {
            o.report(`reconnected to the coordinator after ${((now() - outageSince) / 1000).toFixed(1)} s`);
            outageSince = undefined;
            delay = minMs;
          }
          for (const line of statusChanges(last, s)) o.report(line);
          if (last === undefined || JSON.stringify([last.state, last.phase, last.roundsDone]) !== JSON.stringify([s.state, s.phase, s.roundsDone])) lastChange = now();
          last = s;
          o.onStatus?.(s);
        });
      } catch (e) {
        if (!transient(e)) throw e;
        failure = e;
      }
      if (ended && terminal(ended.state)) return ended;
      // The stream ended early (the coordinator stopped) or failed: reconnect, bounded.
      if (outageSince === undefined) outageSince = now();
      const why = failure ? (failure as Error).message : 'the status stream ended before the study did';
      if (now() - outageSince >= maxOutageMs) {
        throw new FedsynthError(ErrorCode.SourceUnavailable, `lost the coordinator for ${Math.round((now() - outageSince) / 1000)} s (${why}); the study may still be running: fedsynth study status`);
      }
      o.report(`connection to the coordinator lost (${why}); reconnecting in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay);
      delay = Math.min(maxMs, delay * 2);
    }
  } finally {
    clearInterval(quiet);
  }
}
