// CoordinatorMetrics: the coordinator's Prometheus metrics (prom-client registry): rounds, their
// durations, query bytes, dropouts and refusals, plus gauges read from the store at scrape time.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { AgentGateway } from '../gateway/AgentGateway.js';

/** What one secure-sum round attempt did, as observed around the round protocol. */
export interface RoundObservation {
  aggregation: string;
  durationSeconds: number;
  /** Bytes of the encoded query sent to each party, times the parties asked. */
  queryBytes: number;
  participants: number;
  survivors: number;
  refusals: number;
  /** The attempt threw (timeout, too few parties) instead of returning an outcome. */
  failed: boolean;
}

/** The hook the study code calls; CoordinatorMetrics implements it, tests may count calls. */
export interface RoundObserver {
  observeRound(o: RoundObservation): void;
}

export class CoordinatorMetrics implements RoundObserver {
  readonly registry = new Registry();
  private readonly rounds: Counter<'aggregation' | 'outcome'>;
  private readonly durations: Histogram<'aggregation'>;
  private readonly bytes: Counter<'aggregation'>;
  private readonly dropouts: Counter<'aggregation'>;
  private readonly refusals: Counter<'kind'>;

  constructor(store: CoordinatorStore, gateway: AgentGateway) {
    const registers = [this.registry];
    this.rounds = new Counter({ name: 'fedsynth_rounds_total', help: 'Secure-sum round attempts, by aggregation mode and outcome (ok; partial: some parties dropped or refused; failed: the attempt threw).', labelNames: ['aggregation', 'outcome'], registers });
    this.durations = new Histogram({
      name: 'fedsynth_round_duration_seconds',
      help: 'Wall time of one secure-sum round attempt at the coordinator.',
      labelNames: ['aggregation'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.bytes = new Counter({ name: 'fedsynth_round_query_bytes_total', help: 'Bytes of encoded queries sent to parties (per party, summed).', labelNames: ['aggregation'], registers });
    this.dropouts = new Counter({ name: 'fedsynth_round_dropouts_total', help: 'Parties asked in a round that did not contribute to its sum.', labelNames: ['aggregation'], registers });
    this.refusals = new Counter({
      name: 'fedsynth_refusals_total',
      help: 'Refusals: a party refusing a study (study) or a round (round), the console refusing a request (console).',
      labelNames: ['kind'],
      registers,
    });
    new Gauge({
      name: 'fedsynth_parties_online',
      help: 'Party agents connected now.',
      registers,
      collect() {
        this.set(gateway.onlineParties().length);
      },
    });
    new Gauge({
      name: 'fedsynth_studies',
      help: 'Studies by lifecycle state.',
      labelNames: ['state'],
      registers,
      collect() {
        this.reset();
        for (const s of store.listStudies()) this.inc({ state: s.state });
      },
    });
    for (const kind of ['study', 'round', 'console']) this.refusals.inc({ kind }, 0);
  }

  observeRound(o: RoundObservation): void {
    const outcome = o.failed ? 'failed' : o.refusals > 0 || o.survivors < o.participants ? 'partial' : 'ok';
    this.rounds.inc({ aggregation: o.aggregation, outcome });
    this.durations.observe({ aggregation: o.aggregation }, o.durationSeconds);
    this.bytes.inc({ aggregation: o.aggregation }, o.queryBytes);
    if (!o.failed) this.dropouts.inc({ aggregation: o.aggregation }, Math.max(0, o.participants - o.survivors - o.refusals));
    if (o.refusals > 0) this.refusals.inc({ kind: 'round' }, o.refusals);
  }

  /** A party refused a study. */
  studyRefused(): void {
    this.refusals.inc({ kind: 'study' });
  }

  /** The console refused a request (no certificate, wrong role, revoked). */
  consoleRefused(): void {
    this.refusals.inc({ kind: 'console' });
  }

  /** The Prometheus text exposition (content type: `contentType`). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
