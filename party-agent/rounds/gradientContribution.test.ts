// Tests of the agent's gradient round (mechanism dpsgd): a hostile plan is refused before any charge,
// the RDP loss of the agent's re-derived plan is charged once, a retry re-sends the stored vector.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, type FedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { planGradientRound } from '../../shared/dp/gradient/planGradientRound.js';
import { plainGradientRoundLoss, gradientRoundLoss } from '../../shared/dp/gradient/gradientRoundLoss.js';
import type { GradientRoundPlan } from '../../shared/dp/gradient/GradientRoundPlan.js';
import { initParams } from '../../shared/neural/TabularVae.js';
import { modelDimension, vaeSpecForStudy } from '../../shared/synth/dpsgdModel.js';
import { silentLogger } from '../../platform/logging/logging.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { computeStage } from '../../test/support/computeStage.js';
import type { DpsgdTraining } from '../../shared/study/StudySpec.js';
import { encodeLocalQuery } from '../../platform/wire/localQueryWire.js';
import { AgentStore } from '../state/AgentStore.js';
import { BudgetLedger } from '../ledger/BudgetLedger.js';
import { handleCompute } from './ComputeHandler.js';
import type { ApprovedStudy } from './ComputeContext.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-gradient-round-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const DELTA = 1e-6;
const domain = new Domain(['a', 'b'], [4, 3]);
const parties = ['p1', 'p2', 'p3'];
const training: DpsgdTraining = { rounds: 10, sampleRate: 0.5, clipNorm: 1, hidden: [4], latent: 2, learningRate: 0.01, offsetSigma: 0.2 };
const studyRho = rhoFromEpsilon(1, DELTA);
const study: ApprovedStudy = { studyId: 's', studyRho, colluders: 0, dropouts: 0, maxSilosPerIndividual: 1, parties, aggregation: 'masking', delta: DELTA, training, schemaJson: '' };
const spec = vaeSpecForStudy(training, domain, '');
const dimension = modelDimension(spec);
const weights = initParams(spec, seededRandomSource('gradient-test', 'init'));
const plan = planGradientRound({
  dimension, clipNorm: 1, sampleRate: 0.5, rounds: 10, epsilon: 0.99, delta: DELTA, parties: 3, colluders: 0, dropouts: 0, bits: 32, rotationSeed: 's/gradient/1', expectedBatchSize: 6,
});

function stage(p: GradientRoundPlan = plan, round = 1, over: Partial<ComputeStage> = {}): ComputeStage {
  return computeStage({
    query: Buffer.from(encodeLocalQuery({ kind: 'gradientStep', round, weights, plan: p }, domain)),
    perPartySigma2: p.perPartySigma2,
    chargeKey: `s/${round}/dpsgd/round/${round}`,
    label: `dpsgd/round/${round}`,
    vectorLength: p.paddedDimension,
    aggregation: 'masking',
    participants: parties,
    threshold: 3,
    modulusBits: 32,
    ...over,
  });
}

let files = 0;
function agent(capRho = studyRho) {
  const store = new AgentStore(join(root, `a${files++}.sqlite`));
  const inner = seededRandomSource('gradient-test', 'noise');
  const draws = { n: 0 };
  const counting = {
    nextUint32: () => (draws.n++, inner.nextUint32()),
    nextBytes: (k: number) => ((draws.n += k), inner.nextBytes(k)),
  };
  const ledger = new BudgetLedger(join(root, `l${files++}.sqlite`), { perStudyRho: capRho, lifetimeRho: capRho, delta: DELTA, defaultDataset: 'd' });
  const ctx = {
    domain,
    source: new InMemoryMarginalSource(EncodedTable.fromCsv('a,b\n0,1\n1,2\n1,0\n3,2\n2,2\n0,0\n', domain)),
    store,
    ledger: { charge: (r: Parameters<BudgetLedger['charge']>[0]) => void ledger.charge(r) },
    noiseRng: counting,
    log: silentLogger(),
  };
  const charges = () => ledger.list().filter((c) => c.studyId === 's');
  return { store, ledger, charges, draws, compute: (s: ComputeStage, who: ApprovedStudy = study) => handleCompute(ctx, who, `s/r${files}`, s) };
}

const codeOf = (p: Promise<unknown>): Promise<string | undefined> => p.then(() => undefined, (e: FedsynthError) => e.code);

describe('gradient round at the agent', () => {
  it('charges the RDP loss of its re-derived plan once; a retry re-sends the same vector', async () => {
    const a = agent();
    const s = stage();
    const first = await a.compute(s);
    const drawn = a.draws.n;
    expect(drawn).toBeGreaterThan(0);
    const again = await a.compute(s);
    expect(a.draws.n).toBe(drawn); // nothing sampled or drawn again: the stored vector is re-sent
    expect(Array.from(again.noisy)).toEqual(Array.from(first.noisy));
    const charges = a.charges();
    expect(charges).toHaveLength(1);
    expect(charges[0].rho).toBe(0);
    expect(charges[0].rdp).toEqual(gradientRoundLoss(plan).rdp);
    a.store.close();
    a.ledger.close();
  });

  it('in plain mode charges what one noise share hides (CKS 2020), more than the summed round', async () => {
    const a = agent(rhoFromEpsilon(50, DELTA));
    const plainStudy: ApprovedStudy = { ...study, aggregation: 'plain' };
    await a.compute(stage(plan, 1, { aggregation: 'plain' }), plainStudy);
    const charges = a.charges();
    expect(charges).toHaveLength(1);
    const plain = plainGradientRoundLoss(plan).rdp!;
    const summed = gradientRoundLoss(plan).rdp!;
    expect(charges[0].rdp).toEqual(plain);
    // 3 honest shares: one share's rho is about 3x the sum's, so the curve is higher at every amplified order.
    expect(plain.some((v, i) => v > summed[i] * 1.5)).toBe(true);
    expect(plain.every((v, i) => v >= summed[i])).toBe(true);
    a.store.close();
    a.ledger.close();
  });

  it('refuses a hostile plan before anything is charged', async () => {
    const a = agent();
    const other = (over: { parties?: number; dimension?: number; clipNorm?: number }) =>
      planGradientRound({ dimension, clipNorm: 1, sampleRate: 0.5, rounds: 10, epsilon: 0.99, delta: DELTA, parties: 3, colluders: 0, dropouts: 0, bits: 32, rotationSeed: 'x', expectedBatchSize: 6, ...over });
    // Each refusal names the field its own check looks at (so no case passes by another check).
    const cases: [string, ComputeStage, ApprovedStudy, string][] = [
      ['lowered sensitivity', stage({ ...plan, sensitivity: plan.sensitivity / 2 }), study, 'compute.query'],
      ['lowered noise', stage({ ...plan, perPartySigma2: plan.perPartySigma2 / 4 }), study, 'compute.query.plan.per_party_sigma2'],
      ['q above the announced', stage({ ...plan, sampleRate: 0.6 }), { ...study, training: { ...training, rounds: 1 } }, 'compute.query.plan.sample_rate'],
      ['clip norm above the announced', stage(other({ clipNorm: 1.01 })), study, 'compute.query.plan.clip_norm'],
      ['round beyond the announced', stage(plan, 11), study, 'compute.query.round'],
      ['more honest parties than the round has', stage(other({ parties: 5 })), study, 'compute.query.plan.parties'],
      ['fewer colluders than agreed', stage(), { ...study, colluders: 1 }, 'compute.query.plan.parties'],
      ['another model size', stage(other({ dimension: dimension + 1 })), study, 'compute.query'],
    ];
    for (const [why, s, who, field] of cases) {
      const err = await a.compute(s, who).then(() => undefined, (e: FedsynthError) => e);
      expect(err?.code, why).toBe(ErrorCode.ProtocolViolation);
      expect(err?.details.field, why).toBe(field);
    }
    expect(a.charges()).toHaveLength(0);
    a.store.close();
    a.ledger.close();
  });
});
