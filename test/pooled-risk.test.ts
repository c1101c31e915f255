// Integration test: a real consortium of separate processes (coordinator + 3 agents, masking, each
// agent holding back control rows) runs a study with a pooled risk reservation; after delivery the
// post-delivery round's noisy sum lands in the operator's report.json/report.html, within the noise
// bound of the noiseless sum of the agents' own (local-only) counts, the re-signed report verifies, and
// every ledger shows the charge.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rhoFromEpsilon } from '../shared/dp/accounting/cdpConversion.js';
import { planDistributedDiscreteGaussian } from '../shared/dp/mechanisms/distributedDiscreteGaussian.js';
import { pooledRiskLayout, pooledRiskSensitivity } from '../shared/eval/risk/pooledRiskCounts.js';
import { DEFAULT_SINGLING_OUT_FAMILIES, SINGLING_OUT_ROWS_UNIT } from '../shared/eval/risk/pooledSinglingOut.js';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { ConsortiumReport } from '../coordinator/delivery/ConsortiumReport.js';
import { POOLED_RISK_ROUND_INDEX, POOLED_RISK_SHARE } from '../coordinator/study/StudySynthesis.js';
import { defaultSubgroupColumns } from '../shared/eval/subgroupFidelity.js';
import { subgroupSets } from '../shared/eval/pooledSubgroupFidelity.js';
import { RAW_SCHEMA } from './support/writeSilos.js';
import { POOLED_CONTRIBUTION_FILE } from '../party-agent/evaluation/PooledRiskContribution.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { runCli, runCliJson } from './support/runCli.js';

const CONTROL_ROWS = 150;
// Epsilon 8, not 1: at epsilon 1 the pooled round's noise (sigma about 75 per count, 300 on the sum
// of a 16-bin histogram) leaves the 450 control targets' noisy total below one row in about 7% of
// runs, and the product then rightly reports those figures as null with a note. At 8 the noise is
// about 7x smaller, so the figures this test inspects are always defined (z > 10).
const EPSILON = 8;
const rho = rhoFromEpsilon(EPSILON, 1e-9);
const evaluationRho = 0.2 * rho;
const c = new ProcessConsortium({ name: 'pooled-risk', rows: 1500 });
let studyId = '';
let final: StudyStatus;
const out = join(c.dir, 'fetched');

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  for (const p of c.parties) {
    const cfg = c.agentConfig(p);
    const policy = { ...cfg.policy, maxEpsilonPerStudy: EPSILON, lifetimeEpsilon: 2 * EPSILON };
    c.startAgent(p, { config: c.writeConfig(p, { ...cfg, policy, dataset: { ...cfg.dataset, controlRows: CONTROL_ROWS } }) });
  }
  studyId = await c.createStudy({ aggregation: 'masking', mechanism: 'mst', epsilon: EPSILON, delta: 1e-9, rows: 600, evaluationRho });
  final = await c.waitForStudy(studyId, (s) => s.state === 'done', 300_000);
  const fetched = await runCli(['study', 'fetch', studyId, '--out', out, '--kit', c.kitDir('operator'), '--coordinator', c.address]);
  if (fetched.code !== 0) throw new Error(`study fetch failed: ${fetched.stderr}`);
  await Promise.all([...c.agents.values()].map((a) => a.stop()));
}, 400_000);

afterAll(() => c.stop());

describe('the pooled risk release in a real consortium (3 agents, masking)', () => {
  it('puts pooled figures in report.json and report.html, within the noise bound of the noiseless sum', () => {
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ConsortiumReport;
    const pooled = report.pooledRisk;
    if (!pooled?.released) throw new Error(`pooled risk not released: ${JSON.stringify(pooled)}`);
    const f = pooled.figures;
    const m = c.domain.attrs.length;
    // The noise the coordinator reports is the plan every agent re-derives: 3 shares at sensitivity sqrt(m + 2).
    // The risk round spends POOLED_RISK_SHARE of the reservation (the schema has subgroup columns).
    // The singling-out block: the coordinator's default families, each of disjoint predicates.
    const F = f.singlingOutDesign?.families ?? 0;
    expect(F).toBe(DEFAULT_SINGLING_OUT_FAMILIES);
    const L = pooledRiskLayout(m, F);
    const plan = planDistributedDiscreteGaussian({ rho: POOLED_RISK_SHARE * evaluationRho, l2Sensitivity: pooledRiskSensitivity(m, F), parties: 3, colluders: 0, dropouts: 0 });
    expect(f.noise.stddev).toBeCloseTo(Math.sqrt(plan.sumSigma2(3)), 9);
    expect(f.noise.l2Sensitivity).toBeCloseTo(pooledRiskSensitivity(m, F), 12);
    expect(f.noise.rho).toBeCloseTo(POOLED_RISK_SHARE * evaluationRho, 15);
    // Noiseless sum of what each agent counted (its local-only record).
    const exact = new Float64Array(L.length);
    for (const p of c.parties) {
      const local = JSON.parse(readFileSync(join(c.stateDir(p), 'outputs', studyId, POOLED_CONTRIBUTION_FILE), 'utf8')) as { counts: number[] };
      local.counts.forEach((x, i) => (exact[i] += x));
    }
    // Members: every training row (500 a silo less its control rows); non-members: every control row.
    expect(exact.slice(0, m + 1).reduce((a, b) => a + b, 0)).toBe(1500 - 3 * CONTROL_ROWS);
    expect(exact.slice(m + 1, 2 * m + 2).reduce((a, b) => a + b, 0)).toBe(3 * CONTROL_ROWS);
    // Every silo compared at least the unit of rows for singling out (its control rows are distinct enough).
    expect(exact[L.soSilos]).toBe(3 * SINGLING_OUT_ROWS_UNIT);
    // Each entry's noise is a sum of 3 discrete Gaussians of variance sigma_p^2 (sub-Gaussian with the
    // summed variance): |noise| > 6.5 sigma has probability < 2 exp(-6.5^2 / 2) = 1.4e-9 per entry,
    // < 1e-7 over the vector: the test's false-positive rate.
    expect(pooled.noisySum).toHaveLength(exact.length);
    pooled.noisySum.forEach((x, i) => expect(Math.abs(x - exact[i]), `entry ${i}`).toBeLessThanOrEqual(6.5 * f.noise.stddev));
    // The noise is really there (an un-noised vector would equal the exact sum everywhere).
    expect(pooled.noisySum.some((x, i) => x !== exact[i])).toBe(true);
    expect(f.mia?.auc).toBeGreaterThan(0);
    expect(f.linkability?.ci).toHaveLength(2);
    expect(f.inference?.perColumn).toHaveLength(m);
    expect(f.singlingOut?.ci).toHaveLength(2);
    expect(f.singlingOut?.attack.attacks).toBe(f.singlingOut?.control.attacks);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Consortium-wide risk (pooled, differentially private)');
    expect(html).toContain('id="pooled-risk"');
    expect(html).toContain('id="pooled-singling-out"');
  });

  it('puts pooled subgroup shares and within-group fidelity (a second round, the rest of the reservation) in the report', () => {
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as ConsortiumReport;
    const pooled = report.pooledRisk;
    if (!pooled?.released || !pooled.subgroups) throw new Error('no pooled subgroups');
    const s = pooled.subgroups;
    const schema = JSON.parse(readFileSync(RAW_SCHEMA, 'utf8')) as { columns: { name: string; type: string }[] };
    const split = defaultSubgroupColumns(c.domain.shape, schema.columns.map((col) => col.type === 'categorical'));
    expect(s.columns.map((col) => col.column)).toEqual(split.map((i) => c.domain.attrs[i]));
    expect(s.rho).toBeCloseTo((1 - POOLED_RISK_SHARE) * evaluationRho, 15);
    for (const col of s.columns) {
      expect(col.groups).toHaveLength(c.domain.shape[c.domain.attrs.indexOf(col.column)]);
      expect(col.groups.reduce((a, g) => a + g.synthShare, 0)).toBeCloseTo(1, 9);
      // 2-way figures beside their noise bound, and a flag from the per-silo rule for every group.
      for (const g of col.groups) {
        expect(['ok', 'low', 'absent', 'small', 'unobserved']).toContain(g.flag);
        if (g.tv2 !== null) expect(g.noiseBound2!).toBeGreaterThanOrEqual(g.noiseFloor2!);
      }
    }
    expect(s.marginals).toBe(subgroupSets(c.domain.attrs, split).length);
    expect(s.flagged).toBe(s.columns.flatMap((col) => col.groups).filter((g) => g.flag === 'low' || g.flag === 'absent').length);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('Subgroup fidelity (pooled, differentially private)');
    expect(html).toContain('2-way TV within the group');
  });

  it('the report with its pooled figures is signed again: fedsynth verify --require-report passes on what study fetch returned', async () => {
    const v = await runCli(['verify', out, '--require-report', '--json']);
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, studyId, report: { signer: 'coordinator' } });
  });

  it("every agent's ledger shows the pooled risk charge, and all charges sum to the study rho", async () => {
    for (const p of c.parties) {
      const doc = await runCliJson<{ charges: { idempotencyKey: string; studyId: string; rho: number }[]; spentByStudy: Record<string, number> }>(['privacy', 'ledger', '--state', join(c.stateDir(p), 'ledger.sqlite')]);
      const mine = doc.charges.filter((ch) => ch.studyId === studyId);
      const pooled = mine.filter((ch) => ch.idempotencyKey === `${studyId}/${POOLED_RISK_ROUND_INDEX}/pooled-risk`);
      expect(pooled, p).toHaveLength(1);
      expect(pooled[0].rho).toBeCloseTo(POOLED_RISK_SHARE * evaluationRho, 15);
      const subgroups = mine.filter((ch) => ch.idempotencyKey === `${studyId}/${POOLED_RISK_ROUND_INDEX + 1}/pooled-subgroups`);
      expect(subgroups, p).toHaveLength(1);
      expect(subgroups[0].rho).toBeCloseTo((1 - POOLED_RISK_SHARE) * evaluationRho, 15);
      expect(Math.abs(doc.spentByStudy[studyId] - rho)).toBeLessThan(1e-12);
    }
  });
});
