// Tests of RoundBinding and RoundSafety at the compute handler: a charge key bound to one round and one
// survivor set, refusals before any charge, and plain mode charged for what it reveals.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, type FedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { planDistributedGaussian } from '../../shared/dp/distributed/planDistributedGaussian.js';
import { silentLogger } from '../../platform/logging/logging.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { encodeLocalQuery } from '../../platform/wire/localQueryWire.js';
import { AgentStore } from '../state/AgentStore.js';
import { handleCompute } from '../rounds/ComputeHandler.js';
import type { ApprovedStudy } from '../rounds/ComputeContext.js';
import { bindRound, bindSurvivors, roundTermsOf } from './RoundBinding.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-round-binding-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const domain = new Domain(['a'], [4]);
const parties = ['p1', 'p2', 'p3', 'p4', 'p5'];
// roundModes: a policy that lets this study's rounds use every mode (extraRoundModes), so a round in
// another mode reaches the binding checks below instead of AGGREGATION_MODE_MISMATCH (RoundMode).
const study: ApprovedStudy = {
  studyId: 's',
  studyRho: 10,
  colluders: 1,
  dropouts: 1,
  maxSilosPerIndividual: 1,
  parties,
  aggregation: 'masking',
  roundModes: ['masking', 'plain', 'he'],
};
const sigma2 = planDistributedGaussian({ rho: 0.1, l2Sensitivity: 1, parties: 5, colluders: 1, dropouts: 1 }).perPartySigma2;

function stage(over: Partial<ComputeStage> = {}): ComputeStage {
  return {
    query: Buffer.from(encodeLocalQuery({ kind: 'marginals', attrSets: [['a']] }, domain)),
    queryChunkCount: 0,
    querySha256: Buffer.alloc(0),
    rho: 0.1,
    perPartySigma2: sigma2,
    chargeKey: 's/0/q',
    label: 'q',
    vectorLength: 4,
    aggregation: 'masking',
    participants: parties,
    threshold: 4,
    modulusBits: 32,
    hePublicKey: Buffer.alloc(0),
    neighbours: 0,
    maxChunkBytes: 0,
    ...over,
  };
}

let files = 0;
function agent() {
  const store = new AgentStore(join(root, `a${files++}.sqlite`));
  const charges: { key: string; rho: number }[] = [];
  const ctx = {
    domain,
    source: new InMemoryMarginalSource(EncodedTable.fromCsv('a\n0\n1\n1\n3\n', domain)),
    store,
    ledger: { charge: (r: { idempotencyKey: string; rho: number }) => void charges.push({ key: r.idempotencyKey, rho: r.rho }) },
    noiseRng: seededRandomSource('binding', 'noise'),
    log: silentLogger(),
  };
  return { store, charges, compute: (roundId: string, s: ComputeStage) => handleCompute(ctx, study, roundId, s) };
}

const codeOf = (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: FedsynthError) => e.code);

describe('RoundBinding', () => {
  it('binds on first use, resumes the identical round, refuses any other round for the key', async () => {
    const a = agent();
    const first = await a.compute('s/r0', stage());
    const again = await a.compute('s/r0', stage());
    expect(Array.from(again.noisy)).toEqual(Array.from(first.noisy));
    expect(a.charges).toHaveLength(1);
    for (const [roundId, over] of [
      ['s/r0/a1', {}],
      ['s/r0', { participants: ['p2', 'p1', 'p3', 'p4', 'p5'] }],
      ['s/r0', { participants: parties.slice(0, 4), threshold: 3, perPartySigma2: sigma2 * 2 }],
      ['s/r0', { threshold: 5 }],
      ['s/r0', { aggregation: 'he' }],
      ['s/r0', { modulusBits: 64 }],
    ] as [string, Partial<ComputeStage>][]) {
      expect(await codeOf(a.compute(roundId, stage(over)))).toBe(ErrorCode.RoundBindingMismatch);
    }
    expect(a.charges).toHaveLength(1); // nothing charged by a refused request
    a.store.close();
  });

  it('records the signed survivor set once and refuses any other (order-insensitive)', () => {
    const a = agent();
    bindRound(a.store, 's', 's/0/q', roundTermsOf('s/r0', stage()));
    bindSurvivors(a.store, 's/0/q', ['p3', 'p1', 'p2', 'p4']);
    expect(() => bindSurvivors(a.store, 's/0/q', ['p1', 'p2', 'p3', 'p4'])).not.toThrow();
    expect(() => bindSurvivors(a.store, 's/0/q', ['p1', 'p2', 'p3', 'p5'])).toThrow(
      expect.objectContaining({ code: ErrorCode.SurvivorSetMismatch, details: expect.objectContaining({ missing: ['p4'], added: ['p5'] }) }),
    );
    expect(() => bindSurvivors(a.store, 's/0/q', parties)).toThrow(expect.objectContaining({ code: ErrorCode.SurvivorSetMismatch }));
    // A survivor set for a key that was never bound to a round is refused too.
    expect(() => bindSurvivors(a.store, 's/9/q', parties)).toThrow(expect.objectContaining({ code: ErrorCode.RoundBindingMismatch }));
    a.store.close();
  });

  it('reads a binding stored with the mode as its protocol v1 number (before names): resumed, released in clear, or corrupt', () => {
    const a = agent();
    const legacy = (roundId: string, mode: number) => JSON.stringify([roundId, mode, parties, 4, 0, 32]);
    a.store.bindRound('s/0/q', 's', legacy('s/r0', 2));
    expect(bindRound(a.store, 's', 's/0/q', roundTermsOf('s/r0', stage()))).toBe('resumed');
    expect(() => bindRound(a.store, 's', 's/0/q', roundTermsOf('s/r0', stage({ aggregation: 'he' })))).toThrow(
      expect.objectContaining({ code: ErrorCode.RoundBindingMismatch, details: expect.objectContaining({ differs: ['aggregation'] }) }),
    );
    a.store.bindRound('s/1/q', 's', legacy('s/r1', 1));
    expect(bindRound(a.store, 's', 's/1/q', roundTermsOf('s/other', stage({ chargeKey: 's/1/q' })))).toBe('released-in-clear');
    a.store.bindRound('s/2/q', 's', legacy('s/r2', 7));
    expect(() => bindRound(a.store, 's', 's/2/q', roundTermsOf('s/r2', stage({ chargeKey: 's/2/q' })))).toThrow(expect.objectContaining({ code: ErrorCode.CorruptState }));
    a.store.close();
  });

  it('a key released in plain mode may be re-sent in any round (the coordinator holds the vector)', async () => {
    const a = agent();
    const plain = await a.compute('s/r0', stage({ aggregation: 'plain' }));
    const masked = await a.compute('s/other', stage());
    expect(Array.from(masked.noisy)).toEqual(Array.from(plain.noisy));
    expect(() => bindSurvivors(a.store, 's/0/q', ['p1', 'p2', 'p3', 'p4'])).not.toThrow();
    expect(() => bindSurvivors(a.store, 's/0/q', ['p1', 'p2', 'p3', 'p5'])).not.toThrow();
    // The reverse (a masked key asked in plain mode) would hand over the vector: refused.
    await a.compute('s/r1', stage({ chargeKey: 's/1/q' }));
    expect(await codeOf(a.compute('s/r1', stage({ chargeKey: 's/1/q', aggregation: 'plain' })))).toBe(ErrorCode.RoundBindingMismatch);
    a.store.close();
  });
});

describe('RoundSafety at the compute handler (before any charge or binding)', () => {
  it('refuses t below the plan and an unsafe SecAgg+ k; nothing charged, nothing bound', async () => {
    const a = agent();
    // n = 5, f = 1, d = 1: the plan needs t >= 4 (and the quorum floor(6/2) + 1 = 4).
    expect(await codeOf(a.compute('s/r0', stage({ threshold: 3 })))).toBe(ErrorCode.ThresholdBelowPlan);
    expect(await codeOf(a.compute('s/r0', stage({ threshold: 2, aggregation: 'he' })))).toBe(ErrorCode.ThresholdBelowPlan);
    expect(a.charges).toHaveLength(0);
    expect(a.store.roundBinding('s/0/q')).toBeUndefined();
    // The same key with a safe threshold is then accepted (the refused request bound nothing).
    await a.compute('s/r0', stage());
    expect(a.charges).toHaveLength(1);
    a.store.close();
  });

  it('refuses a SecAgg+ k whose share threshold f + 1 lets colluders plus the victim rebuild its seed', async () => {
    const a = agent();
    const many = Array.from({ length: 40 }, (_, i) => `q${i}`);
    const wide = { ...study, parties: many, colluders: 3, dropouts: 2 };
    const noise = planDistributedGaussian({ rho: 0.1, l2Sensitivity: 1, parties: 40, colluders: 3, dropouts: 2 }).perPartySigma2;
    const s = stage({ participants: many, threshold: 38, perPartySigma2: noise, neighbours: 4 });
    const ctx = { domain, source: new InMemoryMarginalSource(EncodedTable.fromCsv('a\n0\n', domain)), store: a.store, ledger: { charge: () => undefined }, noiseRng: seededRandomSource('b', 'n'), log: silentLogger() };
    // k = 4 is below the floor 2 ceil(log2 40) = 12; k = 12 gives s = ceil(38 * 13 / 40) = 13 >= 5 and k > 3 + 2.
    await expect(handleCompute(ctx, wide, 's/r0', s)).rejects.toMatchObject({ code: ErrorCode.UnsafeNeighbourhood });
    await expect(handleCompute(ctx, wide, 's/r0', { ...s, neighbours: 12 })).resolves.toBeDefined();
    a.store.close();
  });
});

describe('plain mode charges what it reveals (finding 6)', () => {
  it('charges Delta^2 / (2 sigma_p^2), about n - f - d times rho, not rho', async () => {
    const a = agent();
    await a.compute('s/r0', stage({ aggregation: 'plain' }));
    await a.compute('s/r1', stage({ chargeKey: 's/1/q' }));
    const [plain, masked] = a.charges;
    expect(plain.rho).toBeCloseTo(1 / (2 * sigma2), 12);
    expect(plain.rho / 0.1).toBeGreaterThan(2.99); // n - f - d = 3 honest shares planned
    expect(plain.rho / 0.1).toBeLessThanOrEqual(3 + 1e-9);
    expect(masked.rho).toBe(0.1);
    a.store.close();
  });
});
