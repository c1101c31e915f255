// Tests of the party agent config: a valid file with defaults and resolved paths, and bad configs
// whose errors list every issue as `field.path: why` and name the file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { loadAgentConfig, parseAgentConfig, type AgentConfigInput } from './AgentConfig.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-cfg-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const good: AgentConfigInput = {
  party: { id: 'st-mary' },
  coordinator: { address: 'coord.example.org:50051' },
  kit: './kit',
  dataset: { id: 'adult', source: { kind: 'csv', path: 'data/adult.csv' }, schema: 'schema.json' },
  policy: {
    allowedColumns: '*',
    maxEpsilonPerStudy: 1,
    maxDeltaPerStudy: 1e-6,
    lifetimeEpsilon: 10,
    autoApprove: { maxEpsilon: 0.5 },
    allowedMechanisms: ['mst', 'aim'],
  },
  state: { dir: '/var/lib/fedsynth' },
};

function write(name: string, content: unknown): string {
  const p = join(root, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

function issuesOf(raw: unknown): string[] {
  try {
    parseAgentConfig(raw, '/etc/fedsynth/agent.json');
  } catch (e) {
    expect(e).toBeInstanceOf(FedsynthError);
    expect((e as FedsynthError).code).toBe(ErrorCode.InvalidConfig);
    expect((e as FedsynthError).message).toContain('/etc/fedsynth/agent.json');
    return (e as FedsynthError).details.issues as string[];
  }
  throw new Error('expected the config to be rejected');
}

describe('AgentConfig', () => {
  it('loads a valid JSON file, applies defaults and resolves relative paths against its directory', async () => {
    const c = await loadAgentConfig(write('agent.json', good));
    expect(c.kit).toBe(join(root, 'kit'));
    expect(c.dataset.schema).toBe(join(root, 'schema.json'));
    expect(c.state.dir).toBe('/var/lib/fedsynth');
    expect(c.dataset.onInvalid).toBe('fail');
    expect(c.policy).toMatchObject({ minParties: 2, maxSilosPerIndividual: 1, allowPlainAggregation: false, minNeighbours: 0, extraRoundModes: {} });
    expect(c.configDir).toBe(root);
  });

  it('policy.extraRoundModes: study id -> modes its rounds may also use; an unknown mode is rejected', () => {
    const c = parseAgentConfig({ ...good, policy: { ...good.policy, extraRoundModes: { 'study-7': ['he'] } } }, '/etc/fedsynth/agent.json');
    expect(c.policy.extraRoundModes).toEqual({ 'study-7': ['he'] });
    expect(issuesOf({ ...good, policy: { ...good.policy, extraRoundModes: { 'study-7': ['clear'] } } }).join('\n')).toMatch(/policy\.extraRoundModes\.study-7\.0/);
  });

  it('loads YAML when the yaml package is available', async () => {
    const y = `party: {id: p1}\ncoordinator: {address: "127.0.0.1:50051"}\nkit: k\ndataset: {id: d, source: null, schema: s.json, onInvalid: drop-row}\npolicy:\n  allowedColumns: [age, sex]\n  maxEpsilonPerStudy: 1\n  maxDeltaPerStudy: 0\n  lifetimeEpsilon: 3\n  autoApprove: false\n  allowedMechanisms: [aim]\nstate: {dir: st}\n`;
    const c = await loadAgentConfig(write('agent.yaml', y));
    expect(c.policy.allowedColumns).toEqual(['age', 'sex']);
    expect(c.dataset.onInvalid).toBe('drop-row');
  });

  it('lists every issue with its field path', () => {
    const bad = {
      ...good,
      party: { id: 'has space' },
      coordinator: { address: 'no-port' },
      dataset: { ...good.dataset, onInvalid: 'ignore' },
      policy: { ...good.policy, maxEpsilonPerStudy: -1, allowedMechanisms: ['pategan'], autoApprove: { maxEpsilon: 5 } },
      extra: true,
    };
    const issues = issuesOf(bad);
    const fields = issues.map((i) => i.split(':')[0]);
    expect(fields).toEqual(
      expect.arrayContaining(['party.id', 'coordinator.address', 'dataset.onInvalid', 'policy.maxEpsilonPerStudy', 'policy.allowedMechanisms.0', '(root)']),
    );
    expect(issues.find((i) => i.startsWith('coordinator.address'))).toContain('HOST:PORT');
  });

  it('checks cross-field rules and missing sections', () => {
    expect(issuesOf({ ...good, policy: { ...good.policy, maxEpsilonPerStudy: 20 } })).toContain('policy.maxEpsilonPerStudy: must not exceed lifetimeEpsilon');
    expect(issuesOf({ ...good, policy: { ...good.policy, autoApprove: { maxEpsilon: 2 } } })).toContain(
      'policy.autoApprove.maxEpsilon: must not exceed maxEpsilonPerStudy',
    );
    const { state: _s, kit: _k, ...partial } = good;
    const issues = issuesOf(partial);
    expect(issues.some((i) => i.startsWith('state:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('kit:'))).toBe(true);
    expect(issuesOf({ ...good, policy: { ...good.policy, allowedColumns: [] } })[0]).toMatch(/^policy\.allowedColumns/);
  });

  it('takes the agent\'s own SecAgg+ floor policy.minNeighbours (a non-negative integer)', () => {
    expect(parseAgentConfig({ ...good, policy: { ...good.policy, minNeighbours: 12 } }, 'a.json').policy.minNeighbours).toBe(12);
    expect(issuesOf({ ...good, policy: { ...good.policy, minNeighbours: -2 } })[0]).toMatch(/^policy\.minNeighbours/);
    expect(issuesOf({ ...good, policy: { ...good.policy, minNeighbours: 6.5 } })[0]).toMatch(/^policy\.minNeighbours/);
  });

  it('reports a missing file (NotFound) and unparseable JSON (InvalidConfig naming the file)', async () => {
    await expect(loadAgentConfig(join(root, 'nope.json'))).rejects.toMatchObject({ code: ErrorCode.NotFound });
    const p = write('broken.json', '{"party": ');
    await expect(loadAgentConfig(p)).rejects.toMatchObject({ code: ErrorCode.InvalidConfig, message: expect.stringContaining(p) });
  });
});
