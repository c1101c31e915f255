// Tests: `fedsynth schema infer --dp-rho` charges the party agent's budget ledger (and audit log)
// before computing DP quantiles: each run is a new charge, over-cap is refused with nothing written.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain } from '../../test/support/captureCli.js';
import { rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { parseSchema } from '../../shared/schema/ConsortiumSchema.js';
import { readLedger } from '../../party-agent/ledger/BudgetLedger.js';
import type { AgentConfigInput } from '../../party-agent/config/AgentConfig.js';

const EPS = 2;
const DELTA = 1e-6;
const LIFETIME_RHO = rhoFromEpsilon(EPS, DELTA);
/** Two runs fit under the lifetime cap, a third does not. */
const RHO = 0.4 * LIFETIME_RHO;

let dir: string;
let data: string;
let configFile: string;
let stateDir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fedsynth-infer-ledger-'));
  data = join(dir, 'sample.csv');
  // A small public sample (three columns of the bundled Adult file) keeps each run fast.
  const lines = readFileSync('data/adult-raw.csv', 'utf8').split('\n').slice(0, 1001).map((l) => l.split(','));
  const keep = ['age', 'sex', 'hours-per-week'].map((c) => lines[0]!.indexOf(c));
  writeFileSync(data, lines.map((f) => keep.map((k) => f[k]).join(',')).join('\n') + '\n');
  stateDir = join(dir, 'state');
  const config: AgentConfigInput = {
    party: { id: 'st-mary' },
    coordinator: { address: '127.0.0.1:50051' },
    kit: './kit',
    dataset: { id: 'adult', source: { kind: 'csv', path: data }, schema: 'schema.json' },
    policy: { allowedColumns: '*', maxEpsilonPerStudy: EPS, maxDeltaPerStudy: DELTA, lifetimeEpsilon: EPS, allowedMechanisms: ['mst'] },
    state: { dir: stateDir },
  };
  configFile = join(dir, 'agent.json');
  writeFileSync(configFile, JSON.stringify(config));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function infer(out: string, ...extra: string[]): ReturnType<typeof runMain> {
  return runMain(['schema', 'infer', '--data', data, '--bins', '4', '--dp-rho', String(RHO), '--public-range', 'age=0:100', '--out', out, ...extra]);
}

describe('schema infer --dp-rho charges the party ledger', () => {
  it('without --config: INVALID_ARGUMENT explaining the ledger, nothing written', async () => {
    const out = join(dir, 'none.json');
    const r = await infer(out);
    expect(r.code).toBe(64);
    expect(r.err).toMatch(/INVALID_ARGUMENT: --dp-rho spends privacy budget .* party's ledger: give --config AGENT\.json .*--no-ledger/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    const both = await infer(out, '--config', configFile, '--no-ledger');
    expect(both.code).toBe(64);
    const noDp = await runMain(['schema', 'infer', '--data', data, '--config', configFile]);
    expect(noDp.code).toBe(64);
  });

  it('charges the ledger, audits the charge, prints rho and (epsilon, delta); a second run is a new charge', async () => {
    const out1 = join(dir, 's1.json');
    const r1 = await infer(out1, '--config', configFile);
    expect(r1.code, r1.err).toBe(0);
    expect(r1.err).toContain(`charged rho = ${RHO} (epsilon = `);
    expect(r1.err).toContain(`at delta = ${DELTA}) to the ledger of party 'st-mary', dataset 'adult'`);
    const age = parseSchema(JSON.parse(readFileSync(out1, 'utf8'))).columns.find((c) => c.name === 'age') as { edges: number[] };
    expect([age.edges[0], age.edges.at(-1)]).toEqual([0, 100]);
    const ledgerFile = join(stateDir, 'ledger.sqlite');
    let charges = readLedger(ledgerFile);
    expect(charges).toHaveLength(1);
    expect(charges[0]).toMatchObject({ dataset: 'adult', rho: RHO, label: 'schema infer: DP quantile edges of age' });
    expect(charges[0]!.studyId).toMatch(/^schema-inference\//);

    const r2 = await infer(join(dir, 's2.json'), '--config', configFile);
    expect(r2.code, r2.err).toBe(0);
    charges = readLedger(ledgerFile);
    expect(charges).toHaveLength(2);
    expect(charges[1]!.idempotencyKey).not.toBe(charges[0]!.idempotencyKey);

    // `fedsynth privacy ledger` lists both charges and their sum.
    const listed = await runMain(['privacy', 'ledger', '--state', ledgerFile]);
    expect(listed.code).toBe(0);
    const l = JSON.parse(listed.out) as { charges: { label: string }[]; spentByDataset: Record<string, number> };
    expect(l.charges.map((c) => c.label)).toEqual(['schema infer: DP quantile edges of age', 'schema infer: DP quantile edges of age']);
    expect(l.spentByDataset.adult).toBeCloseTo(2 * RHO, 12);

    // The agent's audit log records both charges and its hash chain still verifies.
    const audit = readFileSync(join(stateDir, 'audit.log'), 'utf8').trim().split('\n').map((x) => JSON.parse(x) as { event: string; actor: string; details: { rho: number } });
    expect(audit.filter((a) => a.event === 'privacy.charged').map((a) => [a.actor, a.details.rho])).toEqual([['st-mary', RHO], ['st-mary', RHO]]);
    const v = await runMain(['audit', 'verify', join(stateDir, 'audit.log')]);
    expect(v.code, v.err + v.out).toBe(0);
  });

  it('over the lifetime cap: BUDGET_EXCEEDED, nothing charged, no schema file', async () => {
    const out = join(dir, 's3.json');
    const r = await infer(out, '--config', configFile);
    expect(r.code).toBe(77);
    expect(r.err).toMatch(/BUDGET_EXCEEDED: privacy budget exceeded: requested rho=/);
    expect(r.err).not.toContain('DP quantile edges (Smith');
    expect(existsSync(out)).toBe(false);
    expect(readLedger(join(stateDir, 'ledger.sqlite'))).toHaveLength(2);
  });

  it('refuses (OUT_OF_STEP) while another process (the running agent) holds the audit log', async (ctx) => {
    if (!existsSync('/proc/self/fd')) return ctx.skip('needs /proc');
    const log = join(stateDir, 'audit.log');
    const holder: ChildProcess = spawn(process.execPath, ['-e', `require('fs').openSync(${JSON.stringify(log)}, 'a'); console.log('open'); setTimeout(() => {}, 60000)`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    try {
      await new Promise<void>((done) => holder.stdout!.once('data', () => done()));
      const r = await infer(join(dir, 's4.json'), '--config', configFile);
      expect(r.code).toBe(70);
      expect(r.err).toMatch(new RegExp(`OUT_OF_STEP: the party agent is running \\(process ${holder.pid} holds`));
      expect(readLedger(join(stateDir, 'ledger.sqlite'))).toHaveLength(2);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
