// Attack tests of the agent's side of the post-delivery pooled risk round (riskCounts): a coordinator
// that asks for less noise than the party's own sensitivity pooledRiskSensitivity (sqrt(2m + 5)) requires, for one party's
// counts alone, above the study's reservation, in a study approved without one, or about synthetic
// data the party was not delivered, is refused before any charge; the honest round is charged once.
// With singling-out families (sensitivity sqrt(2m + 5 + 10F + 1)): overlapping predicates in a family, a
// noise plan for the plain vector's sqrt(2m + 5), terms outside the domain, too many families, and a
// vector length without the block are refused before any charge too.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { planDistributedGaussian } from '../../shared/dp/distributed/planDistributedGaussian.js';
import { pooledRiskSensitivity } from '../../shared/eval/risk/pooledRiskCounts.js';
import { MAX_SINGLING_OUT_FAMILIES, type SinglingOutFamily } from '../../shared/eval/risk/pooledSinglingOut.js';
import { silentLogger } from '../../platform/logging/logging.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { encodeLocalQuery } from '../../platform/wire/localQueryWire.js';
import { AgentStore } from '../state/AgentStore.js';
import { POOLED_CONTRIBUTION_FILE, pooledRiskContribution } from '../evaluation/PooledRiskContribution.js';
import { handleCompute } from './ComputeHandler.js';
import type { ApprovedStudy } from './ComputeContext.js';
import { computeStage } from '../../test/support/computeStage.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-pooled-risk-round-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const domain = new Domain(['a', 'b', 'c'], [3, 4, 2]);
const parties = ['p1', 'p2', 'p3'];
const study: ApprovedStudy = { studyId: 's', studyRho: 1, colluders: 0, dropouts: 0, maxSilosPerIndividual: 1, parties, aggregation: 'masking', evaluationRho: 0.1, schemaJson: '' };
const rows = 'a,b,c\n0,1,0\n1,2,1\n2,3,0\n0,0,1\n1,1,1\n';
const synthetic = 'a,b,c\n0,1,0\n2,2,1\n1,3,0\n';
const syntheticSha256 = createHash('sha256').update(synthetic).digest('hex');
const l2 = pooledRiskSensitivity(3);
const sigma2For = (sensitivity: number, n: number) => planDistributedGaussian({ rho: 0.1, l2Sensitivity: sensitivity, parties: n, colluders: 0, dropouts: 0 }).perPartySigma2;

function stage(over: Partial<ComputeStage> = {}, sha = syntheticSha256, singlingOut?: readonly SinglingOutFamily[]): ComputeStage {
  return computeStage({
    query: Buffer.from(encodeLocalQuery({ kind: 'riskCounts', columns: 3, syntheticSha256: sha, ...(singlingOut ? { singlingOut } : {}) }, domain)),
    rho: 0.1,
    perPartySigma2: sigma2For(l2, 3),
    chargeKey: 's/1000000/pooled-risk',
    label: 'pooled-risk',
    vectorLength: 4 * 3 + 4,
    aggregation: 'masking',
    participants: parties,
    threshold: 3,
    modulusBits: 32,
    ...over,
  });
}

let n = 0;
function agent(approved: ApprovedStudy = study) {
  const stateDir = join(root, `agent${n++}`);
  mkdirSync(join(stateDir, 'outputs', 's'), { recursive: true });
  writeFileSync(join(stateDir, 'outputs', 's', 'synthetic.csv'), synthetic);
  const source = new InMemoryMarginalSource(EncodedTable.fromCsv(rows, domain));
  const charges: { key: string; rho: number; label: string }[] = [];
  const ctx = {
    domain,
    source,
    store: new AgentStore(join(stateDir, 'agent.sqlite')),
    ledger: { charge: (r: { idempotencyKey: string; rho: number; label: string }) => void charges.push({ key: r.idempotencyKey, rho: r.rho, label: r.label }) },
    noiseRng: seededRandomSource('pooled-risk-round', 'noise'),
    log: silentLogger(),
    pooledRisk: pooledRiskContribution(stateDir, domain, { codeColumns: async () => source.table.columns.map((c) => Int32Array.from(c)) }),
  };
  return { stateDir, charges, compute: (s: ComputeStage) => handleCompute(ctx, approved, 's/r1000000', s) };
}

const refusal = (p: Promise<unknown>): Promise<{ code?: string; field?: unknown }> =>
  p.then(
    () => ({}),
    (e: FedsynthError) => ({ code: e.code, field: e.details?.field }),
  );

describe('the pooled risk round at the agent', () => {
  it('answers the honest round: charged once (label pooled-risk, the round rho), exact counts kept locally', async () => {
    const a = agent();
    const out = await a.compute(stage());
    expect(out.noisy.length).toBeGreaterThan(0);
    expect(a.charges).toEqual([{ key: 's/1000000/pooled-risk', rho: 0.1, label: 'pooled-risk' }]);
    const local = JSON.parse(readFileSync(join(a.stateDir, 'outputs', 's', POOLED_CONTRIBUTION_FILE), 'utf8')) as { counts: number[] };
    expect(local.counts).toHaveLength(16);
    // 5 training rows in the member histogram, no control rows.
    expect(local.counts.slice(0, 4).reduce((x, y) => x + y, 0)).toBe(5);
    await a.compute(stage());
    expect(a.charges).toHaveLength(1);
  });

  it('refuses a noise plan made for a lower sensitivity than sqrt(2m + 5) (e.g. a marginal query\'s 1), before any charge', async () => {
    const a = agent();
    expect(await refusal(a.compute(stage({ perPartySigma2: sigma2For(1, 3) })))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.per_party_sigma2' });
    expect(a.charges).toHaveLength(0);
  });

  it("refuses a round asking one party's counts with a share of the noise (its sum would be that party's vector)", async () => {
    const a = agent();
    expect(await refusal(a.compute(stage({ participants: ['p1'], threshold: 1 })))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.per_party_sigma2' });
    expect(a.charges).toHaveLength(0);
  });

  it('refuses a rho above the reservation, a study approved without one, and synthetic data it was not delivered', async () => {
    const a = agent();
    expect(await refusal(a.compute(stage({ rho: 0.2, perPartySigma2: 1e9 })))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.rho' });
    expect(await refusal(a.compute(stage({}, 'f'.repeat(64))))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.query' });
    expect(a.charges).toHaveLength(0);
    const b = agent({ ...study, evaluationRho: 0 });
    expect(await refusal(b.compute(stage()))).toEqual({ code: 'POLICY_REFUSED', field: 'compute.query' });
    expect(b.charges).toHaveLength(0);
  });

  describe('with singling-out families', () => {
    // Column a: three disjoint values; (b, c): two disjoint cells. F = 2.
    const families: SinglingOutFamily[] = [
      [[{ col: 0, op: 'eq', value: 0 }], [{ col: 0, op: 'eq', value: 1 }], [{ col: 0, op: 'ge', value: 2 }]],
      [
        [{ col: 1, op: 'eq', value: 0 }, { col: 2, op: 'eq', value: 0 }],
        [{ col: 1, op: 'le', value: 1 }, { col: 2, op: 'eq', value: 1 }],
      ],
    ];
    const soL2 = pooledRiskSensitivity(3, 2);
    const soStage = (over: Partial<ComputeStage> = {}, f: readonly SinglingOutFamily[] = families) =>
      stage({ perPartySigma2: sigma2For(soL2, 3), vectorLength: 4 * 3 + 4 + 2 * f.length + 1, ...over }, syntheticSha256, f);

    it('answers the honest round at sqrt(2m + 5 + 10F + 1), the block after the 4m + 4 entries', async () => {
      expect(soL2).toBeCloseTo(Math.sqrt(6 + 5 + 20 + 1), 12);
      const a = agent();
      await a.compute(soStage());
      expect(a.charges).toEqual([{ key: 's/1000000/pooled-risk', rho: 0.1, label: 'pooled-risk' }]);
      const local = JSON.parse(readFileSync(join(a.stateDir, 'outputs', 's', POOLED_CONTRIBUTION_FILE), 'utf8')) as { counts: number[] };
      expect(local.counts).toHaveLength(16 + 5);
      // No control rows: nothing compared, so the block is all zero.
      expect(local.counts.slice(16)).toEqual([0, 0, 0, 0, 0]);
    });

    it('refuses a family whose predicates one record can match together (unbounded count), before any charge', async () => {
      const a = agent();
      const overlapping: SinglingOutFamily[] = [[[{ col: 0, op: 'eq', value: 0 }], [{ col: 1, op: 'eq', value: 1 }]]];
      expect(await refusal(a.compute(soStage({}, overlapping)))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.query' });
      const orderOverlap: SinglingOutFamily[] = [[[{ col: 1, op: 'le', value: 2 }], [{ col: 1, op: 'ge', value: 2 }]]];
      expect(await refusal(a.compute(soStage({}, orderOverlap)))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.query' });
      expect(a.charges).toHaveLength(0);
    });

    it("refuses noise planned for the plain vector's sqrt(2m + 5), a length without the block, terms outside the domain and too many families", async () => {
      const a = agent();
      expect(await refusal(a.compute(soStage({ perPartySigma2: sigma2For(l2, 3) })))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.per_party_sigma2' });
      expect(await refusal(a.compute(soStage({ vectorLength: 16 })))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.vector_length' });
      expect(await refusal(a.compute(soStage({}, [[[{ col: 1, op: 'eq', value: 4 }]]])))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.query' });
      expect(await refusal(a.compute(soStage({}, [[[{ col: 3, op: 'eq', value: 0 }]]])))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.query' });
      const many = Array.from({ length: MAX_SINGLING_OUT_FAMILIES + 1 }, (): SinglingOutFamily => [[{ col: 2, op: 'eq', value: 0 }]]);
      expect(await refusal(a.compute(soStage({ perPartySigma2: 1e9 }, many)))).toEqual({ code: 'PROTOCOL_VIOLATION', field: 'compute.query' });
      expect(a.charges).toHaveLength(0);
    });
  });
});
