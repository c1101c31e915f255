// Tests of `fedsynth privacy`: convert both ways, plan JSON, deterministic seeded samples, errors.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runMain } from '../../test/support/captureCli.js';

const runCli = (args: string[]) => runMain(args);

afterEach(() => vi.restoreAllMocks());

describe('fedsynth privacy', () => {
  it('converts epsilon <-> rho', async () => {
    const a = await runCli(['privacy', 'convert', '--rho', '1', '--delta', '1e-9']);
    expect(a.code).toBe(0);
    expect(JSON.parse(a.out).epsilon).toBeCloseTo(9.5214636718, 8);
    const b = await runCli(['privacy', 'convert', '--epsilon', '1', '--delta', '1e-9']);
    expect(JSON.parse(b.out).rho).toBeCloseTo(0.0149730577, 9);
  });

  it('plans per-party noise for MST on the Adult domain', async () => {
    const r = await runCli(['privacy', 'plan', '--epsilon', '1', '--delta', '1e-9', '--parties', '10', '--colluders', '1', '--dropouts', '2', '--mechanism', 'mst']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.domain.columns).toBe(14);
    expect(j.measurements[0].honestMinParties).toBe(7);
    expect(j.measurements[0].guaranteedRho).toBeLessThanOrEqual(j.rho / 3);
  });

  it('prints deterministic seeded samples, one integer per line', async () => {
    const args = ['privacy', 'sample', '--distribution', 'discrete-gaussian', '--variance', '100', '--n', '50', '--seed', 's'];
    const a = await runCli(args);
    const b = await runCli(args);
    expect(a.out).toBe(b.out);
    const lines = a.out.trim().split('\n');
    expect(lines.length).toBe(50);
    for (const l of lines) expect(l).toMatch(/^-?\d+$/);
  });

  it('fails with typed errors and non-zero exit codes', async () => {
    const a = await runCli(['privacy', 'convert', '--rho', '-1', '--delta', '1e-9']);
    expect(a.code).toBe(77);
    expect(a.err).toMatch(/^fedsynth: INVALID_PRIVACY_PARAMETER:/);
    const b = await runCli(['privacy', 'plan', '--epsilon', '1', '--delta', '1e-9', '--parties', '3', '--colluders', '2', '--dropouts', '1']);
    expect(b.code).toBe(77);
    const c = await runCli(['privacy', 'ledger', '--state', '/nonexistent/ledger.db']);
    expect(c.err).toMatch(/NOT_FOUND/);
    const d = await runCli(['privacy', 'sample', '--distribution', 'uniform', '--variance', '1']);
    expect(d.code).toBe(64);
  });

  it('audit --study runs whole studies and prints the bound beside the claim; bad --study / --group are usage errors', async () => {
    const r = await runCli(['privacy', 'audit', '--epsilon', '1', '--delta', '1e-6', '--study', 'mst', '--runs', '20', '--seed', 'cli-study']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ mechanism: 'mst', claimedEpsilon: 1, runs: 20, trialsWith: 10, trialsWithout: 10, columns: 3, thresholdsTested: 64 });
    expect(j.epsilonLowerBound).toBeLessThan(1);
    expect(r.err).toContain('audit: run 20/20');
    const bad = await runCli(['privacy', 'audit', '--epsilon', '1', '--delta', '1e-6', '--study', 'dpsgd']);
    expect(bad.code).toBe(64);
    expect(bad.err).toMatch(/^fedsynth: INVALID_ARGUMENT: --study must be mst or aim/);
    const group = await runCli(['privacy', 'audit', '--epsilon', '1', '--delta', '1e-6', '--study', 'aim', '--group', '2']);
    expect(group.code).toBe(64);
  }, 120_000);

  it('audit --study mst|aim --exact-trials draws the transcript attack exactly; --attack model is refused with it', async () => {
    const r = await runCli(['privacy', 'audit', '--epsilon', '1', '--delta', '1e-6', '--study', 'mst', '--exact-trials', '1000', '--seed', 'cli-exact']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ mechanism: 'mst', claimedEpsilon: 1, trialsWith: 1000, trialsWithout: 1000, profileStudies: 4 });
    expect(j.profile.map((p: { label: string }) => p.label)).toEqual(['mst/oneway', 'mst/measure']);
    expect(j.epsilonLowerBound).toBeLessThan(1);
    expect(r.err).toContain('audit: 2004/2004');
    const aim = await runCli(['privacy', 'audit', '--epsilon', '1', '--delta', '1e-6', '--study', 'aim', '--exact-trials', '1000', '--seed', 'cli-exact']);
    expect(aim.code).toBe(0);
    expect(JSON.parse(aim.out)).toMatchObject({ mechanism: 'aim', mechanismOptions: { maxBatch: 1, prune: false, annealing: false }, trialsWith: 1000 });
    const model = await runCli(['privacy', 'audit', '--epsilon', '1', '--delta', '1e-6', '--study', 'mst', '--attack', 'model', '--exact-trials', '1000']);
    expect(model.code).toBe(64);
    const bad = await runCli(['privacy', 'audit', '--epsilon', '1', '--delta', '1e-6', '--study', 'mst', '--attack', 'oracle']);
    expect(bad.code).toBe(64);
  }, 120_000);
});
