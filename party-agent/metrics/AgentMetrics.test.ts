// The agent's metrics: off unless configured (no `metrics` in the config means no port), and when
// configured, GET /metrics on the given loopback address returns the Prometheus text of its counters.
import { afterAll, describe, expect, it } from 'vitest';
import { AgentMetrics } from './AgentMetrics.js';
import { MetricsEndpoint } from '../../platform/metrics/MetricsEndpoint.js';
import { parseAgentConfig, type AgentConfigInput } from '../config/AgentConfig.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';

const config: AgentConfigInput = {
  party: { id: 'st-mary' },
  coordinator: { address: 'coord.example.org:50051' },
  kit: './kit',
  dataset: { id: 'adult', source: { kind: 'csv', path: 'data/adult.csv' }, schema: 'schema.json' },
  policy: { allowedColumns: '*', maxEpsilonPerStudy: 1, maxDeltaPerStudy: 1e-6, lifetimeEpsilon: 10, allowedMechanisms: ['mst'] },
  state: { dir: '/var/lib/fedsynth' },
};

const endpoints: MetricsEndpoint[] = [];
afterAll(async () => {
  for (const e of endpoints) await e.stop();
});

describe('agent metrics', () => {
  it('are off unless the config names an address', () => {
    expect(parseAgentConfig(config, 'agent.json').metrics).toBeUndefined();
    expect(parseAgentConfig({ ...config, metrics: { listen: '127.0.0.1:9464' } }, 'agent.json').metrics).toEqual({ listen: '127.0.0.1:9464' });
    expect(() => parseAgentConfig({ ...config, metrics: { listen: '9464' } }, 'agent.json')).toThrow(/metrics\.listen/);
  });

  it('serve rounds, durations, cells, event-loop delays, bytes sent and refusals as Prometheus text on GET /metrics only', async () => {
    const m = new AgentMetrics();
    m.computeAnswered({ aggregation: 'masking', seconds: 0.2, cells: 30, maxEventLoopDelaySeconds: 0.03 });
    m.computeAnswered({ aggregation: 'masking', seconds: 0.4, cells: 12, maxEventLoopDelaySeconds: 0.3 });
    m.roundRefused('POLICY_REFUSED');
    m.studyRefused('SPEC_RHO_MISMATCH');
    m.messageSent(1000);
    m.messageSent(24);
    const totals = await m.totals();
    expect([totals.rounds, totals.sentBytes, totals.maxEventLoopDelaySeconds]).toEqual([2, 1024, 0.3]);
    expect(totals.roundSeconds).toBeCloseTo(0.6, 12);
    const e = new MetricsEndpoint('127.0.0.1:0', m.registry);
    endpoints.push(e);
    const port = await e.start();
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('fedsynth_agent_rounds_total{aggregation="masking"} 2');
    expect(text).toContain('fedsynth_agent_round_duration_seconds_count{aggregation="masking"} 2');
    expect(text).toContain('fedsynth_agent_released_cells_total{aggregation="masking"} 42');
    expect(text).toContain('fedsynth_agent_round_event_loop_delay_max_seconds_bucket{le="0.05",aggregation="masking"} 1');
    expect(text).toContain('fedsynth_agent_event_loop_delay_max_seconds 0.3');
    expect(text).toContain('fedsynth_agent_refusals_total{kind="round",code="POLICY_REFUSED"} 1');
    expect(text).toContain('fedsynth_agent_refusals_total{kind="study",code="SPEC_RHO_MISMATCH"} 1');
    expect(text).toContain('fedsynth_agent_sent_bytes_total 1024');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
  });

  it('refuses an address that is not host:port', () => {
    const e = new MetricsEndpoint('localhost', new AgentMetrics().registry);
    return expect(e.start()).rejects.toSatisfy((err: unknown) => err instanceof FedsynthError && err.code === ErrorCode.InvalidArgument);
  });
});
