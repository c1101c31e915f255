// AgentMetrics: the party agent's Prometheus metrics (prom-client registry): rounds answered and
// refused, their durations and cells released, bytes sent, and studies refused. Served only when configured.
import { Counter, Histogram, Registry } from 'prom-client';
import type { AggregationMode } from '../../shared/study/StudySpec.js';

/** What the agent's round dispatcher reports for each compute stage it handled. */
export interface AgentRoundObserver {
  computeAnswered(o: { aggregation: AggregationMode; seconds: number; cells: number }): void;
  roundRefused(code: string): void;
}

export class AgentMetrics implements AgentRoundObserver {
  readonly registry = new Registry();
  private readonly answered: Counter<'aggregation'>;
  private readonly durations: Histogram<'aggregation'>;
  private readonly cells: Counter<'aggregation'>;
  private readonly refusals: Counter<'kind' | 'code'>;
  private readonly sent: Counter;

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
    this.refusals = new Counter({ name: 'fedsynth_agent_refusals_total', help: 'Refusals by this agent: a round stage (kind=round) or a study (kind=study), by error code.', labelNames: ['kind', 'code'], registers });
  }

  computeAnswered(o: { aggregation: AggregationMode; seconds: number; cells: number }): void {
    this.answered.inc({ aggregation: o.aggregation });
    this.durations.observe({ aggregation: o.aggregation }, o.seconds);
    this.cells.inc({ aggregation: o.aggregation }, o.cells);
  }

  messageSent(bytes: number): void {
    this.sent.inc(bytes);
  }

  /** Running totals: compute stages answered, their summed durations (s), bytes sent. */
  async totals(): Promise<{ rounds: number; roundSeconds: number; sentBytes: number }> {
    const sum = async (m: Counter<string> | Histogram<string>, name?: string): Promise<number> =>
      ((await m.get()).values as { value: number; metricName?: string }[]).filter((v) => name === undefined || v.metricName === name).reduce((s, v) => s + v.value, 0);
    return {
      rounds: await sum(this.answered),
      roundSeconds: await sum(this.durations, 'fedsynth_agent_round_duration_seconds_sum'),
      sentBytes: await sum(this.sent),
    };
  }

  roundRefused(code: string): void {
    this.refusals.inc({ kind: 'round', code });
  }

  studyRefused(code: string): void {
    this.refusals.inc({ kind: 'study', code });
  }
}
