// AgentMetrics: the party agent's Prometheus metrics (prom-client registry): rounds answered and
// refused, their durations and cells released, bytes sent, and studies refused. Served only when configured.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AggregationMode } from '../../shared/study/StudySpec.js';

/** One answered compute stage: its mode, time to the reply, cells released, largest event-loop delay meanwhile. */
export interface ComputeAnswered {
  aggregation: AggregationMode;
  seconds: number;
  cells: number;
  /** The largest event-loop delay from the compute stage to its reply (EventLoopDelayWatch), seconds. */
  maxEventLoopDelaySeconds: number;
}

/** What the agent's round dispatcher reports for each compute stage it handled. */
export interface AgentRoundObserver {
  computeAnswered(o: ComputeAnswered): void;
  roundRefused(code: string): void;
}

export class AgentMetrics implements AgentRoundObserver {
  readonly registry = new Registry();
  private readonly answered: Counter<'aggregation'>;
  private readonly durations: Histogram<'aggregation'>;
  private readonly cells: Counter<'aggregation'>;
  private readonly refusals: Counter<'kind' | 'code'>;
  private readonly sent: Counter;
  private readonly loopDelays: Histogram<'aggregation'>;
  private readonly loopDelayMax: Gauge;
  private largestLoopDelay = 0;

  constructor() {
    const registers = [this.registry];
    this.answered = new Counter({ name: 'fedsynth_agent_rounds_total', help: 'Compute stages this agent answered with a noisy release (re-sent answers to a repeated charge key included).', labelNames: ['aggregation'], registers });
    this.durations = new Histogram({
      name: 'fedsynth_agent_round_duration_seconds',
      help: 'Time from a compute stage to this agent\'s reply (counting, noise, masking or encryption).',
      labelNames: ['aggregation'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.cells = new Counter({ name: 'fedsynth_agent_released_cells_total', help: 'Cells of the noisy vectors this agent released.', labelNames: ['aggregation'], registers });
    this.sent = new Counter({ name: 'fedsynth_agent_sent_bytes_total', help: 'Bytes of the protocol messages this agent sent to the coordinator (protobuf encoding, before gRPC framing and TLS).', registers });
    this.loopDelays = new Histogram({
      name: 'fedsynth_agent_round_event_loop_delay_max_seconds',
      help: 'Per compute stage, the largest event-loop delay from the stage to the reply (heartbeats wait behind it; the coordinator drops a party silent for 20 s).',
      labelNames: ['aggregation'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60],
      registers,
    });
    this.loopDelayMax = new Gauge({ name: 'fedsynth_agent_event_loop_delay_max_seconds', help: 'The largest event-loop delay of any compute stage since the agent started.', registers });
    this.refusals = new Counter({ name: 'fedsynth_agent_refusals_total', help: 'Refusals by this agent: a round stage (kind=round) or a study (kind=study), by error code.', labelNames: ['kind', 'code'], registers });
  }

  computeAnswered(o: ComputeAnswered): void {
    this.answered.inc({ aggregation: o.aggregation });
    this.loopDelays.observe({ aggregation: o.aggregation }, o.maxEventLoopDelaySeconds);
    this.largestLoopDelay = Math.max(this.largestLoopDelay, o.maxEventLoopDelaySeconds);
    this.loopDelayMax.set(this.largestLoopDelay);
    this.durations.observe({ aggregation: o.aggregation }, o.seconds);
    this.cells.inc({ aggregation: o.aggregation }, o.cells);
  }

  messageSent(bytes: number): void {
    this.sent.inc(bytes);
  }

  /** Running totals: compute stages answered, their summed durations (s), bytes sent, the largest event-loop delay (s). */
  async totals(): Promise<{ rounds: number; roundSeconds: number; sentBytes: number; maxEventLoopDelaySeconds: number }> {
    const sum = async (m: Counter<string> | Histogram<string>, name?: string): Promise<number> =>
      ((await m.get()).values as { value: number; metricName?: string }[]).filter((v) => name === undefined || v.metricName === name).reduce((s, v) => s + v.value, 0);
    return {
      rounds: await sum(this.answered),
      roundSeconds: await sum(this.durations, 'fedsynth_agent_round_duration_seconds_sum'),
      sentBytes: await sum(this.sent),
      maxEventLoopDelaySeconds: this.largestLoopDelay,
    };
  }

  roundRefused(code: string): void {
    this.refusals.inc({ kind: 'round', code });
  }

  studyRefused(code: string): void {
    this.refusals.inc({ kind: 'study', code });
  }
}
