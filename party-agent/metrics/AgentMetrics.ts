// AgentMetrics: the party agent's Prometheus metrics (prom-client registry): rounds answered and
// refused, their durations and cells released, and studies refused. Served only when configured.
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
    this.refusals = new Counter({ name: 'fedsynth_agent_refusals_total', help: 'Refusals by this agent: a round stage (kind=round) or a study (kind=study), by error code.', labelNames: ['kind', 'code'], registers });
  }

  computeAnswered(o: { aggregation: AggregationMode; seconds: number; cells: number }): void {
    this.answered.inc({ aggregation: o.aggregation });
    this.durations.observe({ aggregation: o.aggregation }, o.seconds);
    this.cells.inc({ aggregation: o.aggregation }, o.cells);
  }

  roundRefused(code: string): void {
    this.refusals.inc({ kind: 'round', code });
  }

  studyRefused(code: string): void {
    this.refusals.inc({ kind: 'study', code });
  }
}
