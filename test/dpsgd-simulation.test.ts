// The gradient path end to end (mechanism dpsgd) on a LocalConsortium: a seeded training gives the
// same weights under plain, masking and HE, the outputs carry the model, and `sample` draws from it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePartySplit } from '../shared/data/splitParties.js';
import { completeDpsgdTraining } from '../shared/study/dpsgdTraining.js';
import { adultColumns } from './support/adultColumns.js';
import { silentLogger } from '../platform/logging/logging.js';
import { runSimulation } from '../simulation/runSimulation.js';
import { isTvaeDocument, parseTvaeDocument } from '../shared/sample/TvaeDocument.js';
import { sampleVaeRows } from '../shared/neural/sampleVaeRows.js';
import { seededRandomSource } from '../shared/dp/random/RandomSource.js';
import { BudgetLedger } from '../party-agent/ledger/BudgetLedger.js';
import { composeLosses, type PrivacyLoss } from '../shared/dp/accounting/PrivacyLoss.js';
import { epsilonFromLoss } from '../shared/dp/accounting/rdpConversion.js';
import { epsilonFromRho } from '../shared/dp/accounting/cdpConversion.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-dpsgd-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Four columns of adult.csv, 1500 rows: a tiny model (d ~ 400), three rounds.
const keep = ['workclass', 'education-num', 'sex', 'income>50K'];
const { domain, table } = adultColumns(keep, 1500);
const training = completeDpsgdTraining({ rounds: 3, sampleRate: 0.2, hidden: [8], latent: 2, learningRate: 0.01 });

async function run(aggregation: 'plain' | 'masking' | 'he', seed: string, workDir?: string) {
  const out = join(root, `${aggregation}-${seed}`);
  const { status } = await runSimulation({
    table, domain, parties: 3, split: parsePartySplit('dirichlet:0.5'), splitText: 'dirichlet:0.5', epsilon: 1, delta: 1e-9,
    mechanism: 'dpsgd', training, aggregation, rows: 300, seed, out, drop: 0, colluders: 0, log: silentLogger(), workDir,
  });
  const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as {
    model: { weights: string };
    privacy: { epsilon: number; rho: number; rhoBudget: number };
    details: { budgetSplit: { oneWayRho: number; gradientEpsilon: number } };
  };
  return { out, model, status, csv: readFileSync(join(out, 'synthetic.csv'), 'utf8') };
}

/** Epsilon at 1e-9 of everything a party's ledger charged for the study (zCDP parts and RDP curves). */
function ledgerEpsilon(workDir: string, party: string, studyId: string): number {
  const ledger = new BudgetLedger(join(workDir, 'agents', party, 'ledger.sqlite'), { perStudyRho: 1, lifetimeRho: 1, delta: 1e-9 });
  try {
    let loss: PrivacyLoss = { rho: 0 };
    for (const c of ledger.list()) if (c.studyId === studyId) loss = composeLosses(loss, c.rdp === undefined ? { rho: c.rho } : { rho: c.rho, rdp: c.rdp });
    return epsilonFromLoss(loss, 1e-9);
  } finally {
    ledger.close();
  }
}

describe('dpsgd study on a local consortium', () => {
  it('gives identical weights and rows under plain, masking and HE with one seed; another seed differs', async () => {
    const masking = await run('masking', '1');
    const plain = await run('plain', '1');
    const he = await run('he', '1');
    expect(masking.model.model.weights.length).toBeGreaterThan(0);
    expect(plain.model.model.weights).toBe(masking.model.model.weights);
    expect(he.model.model.weights).toBe(masking.model.model.weights);
    expect(he.csv).toBe(masking.csv);
    const other = await run('masking', '2');
    expect(other.model.model.weights).not.toBe(masking.model.model.weights);
    // The signed outputs: epsilon spent within the budget, the generator in model.json, sampling from it.
    expect(masking.model.privacy.epsilon).toBeGreaterThan(0);
    expect(masking.model.privacy.epsilon).toBeLessThanOrEqual(1);
    // The warm start's 1-way marginals are a stated share of the budget, charged as zCDP through the
    // study's releases (the gradient rounds are RDP curves, outside privacy.rho).
    const split = masking.model.details.budgetSplit;
    expect(split.oneWayRho).toBeCloseTo(0.1 * masking.model.privacy.rhoBudget, 12);
    expect(masking.model.privacy.rho).toBeCloseTo(split.oneWayRho, 12);
    expect(split.gradientEpsilon).toBeLessThan(1);
    expect(isTvaeDocument(masking.model)).toBe(true);
    const g = parseTvaeDocument(masking.model);
    const rows = await sampleVaeRows(g.spec, g.weights, 50, seededRandomSource('t', 's'));
    expect(rows.rows).toBe(50);
    expect(masking.csv.split('\n')[0]).toBe(keep.join(','));
    expect(masking.csv.trim().split('\n')).toHaveLength(301);
  }, 600_000);

  it('journals the RDP charge of each gradient round: status epsilon = the mechanism epsilon = each masking party ledger (plain ledgers: more)', async () => {
    for (const aggregation of ['masking', 'plain'] as const) {
      const workDir = mkdtempSync(join(root, `journal-${aggregation}-`));
      const r = await run(aggregation, '3', workDir);
      const studyId = r.status.spec!.studyId;
      // Not just the row count's rho (the bug: gradient rounds journaled as rho 0).
      expect(r.status.epsilonSpent).toBeGreaterThan(2 * epsilonFromRho(r.status.rhoSpent, 1e-9));
      // Masking: each ledger holds exactly the released sums' charges. Plain: a party charges what its
      // own share hides (releaseRho, plainGradientRoundLoss), never less than the sum's charge.
      for (const p of r.status.parties) {
        const party = ledgerEpsilon(workDir, p.partyId, studyId);
        if (aggregation === 'masking') expect(Math.abs(party - r.status.epsilonSpent), `${aggregation} ${p.partyId}`).toBeLessThan(1e-9);
        else expect(party, `${aggregation} ${p.partyId}`).toBeGreaterThan(r.status.epsilonSpent);
      }
      // The mechanism's own tally (model.json) is the same composition.
      expect(Math.abs(r.model.privacy.epsilon - r.status.epsilonSpent)).toBeLessThan(1e-9);
    }
  }, 600_000);
});
