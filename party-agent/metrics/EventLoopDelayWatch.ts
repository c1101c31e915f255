// EventLoopDelayWatch: the largest event-loop delay while one piece of the agent's work runs (a
// round's compute stage): how long its heartbeats and streams could have waited behind it.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/**
 * Samples the event loop every `resolutionMs` from construction until `stop()`, which returns the
 * largest delay seen, in seconds (node:perf_hooks monitorEventLoopDelay; 0 when nothing was sampled).
 * A block of the event loop for D seconds shows as a delay of about D.
 */
export class EventLoopDelayWatch {
  private readonly histogram: IntervalHistogram;

  constructor(resolutionMs = 10) {
    this.histogram = monitorEventLoopDelay({ resolution: resolutionMs });
    this.histogram.enable();
  }

  stop(): number {
    this.histogram.disable();
    const max = this.histogram.count > 0 ? this.histogram.max : 0;
    return max / 1e9;
  }
}
