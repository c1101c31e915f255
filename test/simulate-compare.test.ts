// Model comparison (`simulate --mechanism aim,dpsgd`): both studies charge the same party ledgers what
// the stated budget split gives them, the report holds both models, and a bad --budget-split is named.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePartySplit } from '../shared/data/splitParties.js';
import { completeDpsgdTraining } from '../shared/study/dpsgdTraining.js';
import type { BudgetSplit } from '../shared/study/BudgetSplit.js';
import type { MechanismName } from '../shared/study/StudySpec.js';
import type { ComparisonReport } from '../shared/eval/ComparisonReport.js';
import { adultColumns } from './support/adultColumns.js';
import { silentLogger } from '../platform/logging/logging.js';
import { runComparison } from '../simulation/runComparison.js';
import { runMain } from './support/captureCli.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-compare-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Five columns of adult.csv, 1500 rows; dpsgd: a tiny model, three rounds.
const keep = ['workclass', 'education-num', 'race', 'sex', 'income>50K'];
const { domain, table } = adultColumns(keep, 1500);
const training = completeDpsgdTraining({ rounds: 3, sampleRate: 0.2, hidden: [8], latent: 2, learningRate: 0.01 });

function compare(mechanisms: MechanismName[], budgetSplit: BudgetSplit, out: string) {
  return runComparison({
    table, domain, parties: 3, split: parsePartySplit('dirichlet:0.5'), splitText: 'dirichlet:0.5', epsilon: 1, delta: 1e-9,
    mechanisms, budgetSplit, training, aggregation: 'masking', rows: 400, seed: '7', out: join(root, out), drop: 0, colluders: 0,
    controlShare: 0.2, log: silentLogger(),
  });
}

/** Relative float slack of the accountants (BUDGET_SLACK) and of the ledger's epsilon conversion. */
const SLACK = 1 + 1e-9;

describe('simulate --mechanism aim,dpsgd', () => {
  it('splits one budget equally, charges both studies to the same ledgers within their shares, and reports both models', async () => {
    const { report } = await compare(['aim', 'dpsgd'], 'equal', 'equal');
    const dir = join(root, 'equal');
    // Stated up front: each gets half of (1, 1e-9); together exactly the total.
    expect(report.budget.perMechanism.map((b) => [b.mechanism, b.epsilon, b.delta])).toEqual([['aim', 0.5, 5e-10], ['dpsgd', 0.5, 5e-10]]);
    expect(report.budget.combined).toEqual({ epsilon: 1, delta: 1e-9, composition: 'basic' });
    // Every party's ledger shows charges of both studies; each study's charges compose within its
    // share, and all of them within the combined cost.
    expect(report.ledgers).toHaveLength(3);
    for (const l of report.ledgers) {
      expect(l.studies.map((s) => s.mechanism)).toEqual(['aim', 'dpsgd']);
      const [aim, dpsgd] = l.studies;
      expect(aim.charges).toBeGreaterThan(0);
      expect(aim.rdpCharges).toBe(0);
      expect(dpsgd.rdpCharges).toBe(training.rounds);
      for (const s of l.studies) expect(s.epsilon).toBeLessThanOrEqual(0.5 * SLACK);
      expect(l.composedEpsilon).toBeLessThanOrEqual(1 * SLACK);
      expect(l.composedEpsilon).toBeLessThanOrEqual(l.sumOfStudyEpsilons * SLACK);
      // What the ledger holds is what the coordinator signed as spent (AIM spends its whole share).
      expect(aim.rho).toBeCloseTo(report.models[0].spent.rho, 12);
      expect(aim.epsilon).toBeCloseTo(0.5, 6);
      expect(dpsgd.epsilon).toBeCloseTo(report.models[1].spent.epsilon, 6);
    }
    // Both models, side by side, with the budget each used.
    const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as ComparisonReport;
    expect(json.format).toBe('fedsynth-comparison-report/v1');
    expect(json.models.map((m) => m.mechanism)).toEqual(['aim', 'dpsgd']);
    for (const m of json.models) {
      expect(m.spent.epsilon).toBeLessThanOrEqual(m.budget.epsilon * SLACK);
      expect(m.report.fidelity.tv.map((t) => t.way)).toEqual([1, 2, 3]);
      expect(m.report.utility?.target).toBe('income>50K');
      expect(m.report.privacy.risk?.controlRows).toBe(300);
      expect(m.report.fidelity.distributions).toHaveLength(keep.length);
      for (const f of [m.files.synthetic, m.files.model, `${m.files.signedOutputs}manifest.json`, `${m.files.signedOutputs}synthetic.csv`]) expect(existsSync(join(dir, f))).toBe(true);
      expect(readFileSync(join(dir, m.files.synthetic), 'utf8').trim().split('\n')).toHaveLength(401);
    }
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('<th>aim</th><th>dpsgd</th>');
    expect((html.match(/data-chart="category" data-series="3"/g) ?? []).length).toBe(keep.length);
    expect(html).toContain('split equally among 2 mechanisms');
  }, 600_000);

  it('--budget-split each gives every mechanism the full budget and states the doubled cost', async () => {
    const { report } = await compare(['mst', 'aim'], 'each', 'each');
    expect(report.budget.perMechanism.map((b) => b.epsilon)).toEqual([1, 1]);
    expect(report.budget.combined.epsilon).toBe(2);
    expect(report.budget.combined.delta).toBe(2e-9);
    expect(report.budget.statement).toMatch(/epsilon 2, delta 2\.00e-9 \(basic composition: 2 times the requested budget\)/);
    for (const l of report.ledgers) {
      for (const s of l.studies) expect(s.epsilon).toBeCloseTo(1, 6);
      // Over the single budget (two studies were charged), within the stated combined cost.
      expect(l.composedEpsilon).toBeGreaterThan(1);
      expect(l.composedEpsilon).toBeLessThanOrEqual(2 * SLACK);
    }
    expect(readFileSync(join(root, 'each', 'report.html'), 'utf8')).toContain('2 times the requested budget');
  }, 600_000);
});

describe('simulate --budget-split errors', () => {
  const base = ['simulate', '--data', 'data/adult.csv', '--domain', 'data/adult-domain.json', '--out', join(root, 'never'), '--quiet'];
  it('refuses an unknown split, naming the option and its values', async () => {
    const r = await runMain([...base, '--mechanism', 'aim,dpsgd', '--budget-split', 'half']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/INVALID_ARGUMENT/);
    expect(r.err).toMatch(/--budget-split must be equal .* or each .*, got 'half'/);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });
  it('refuses a split of one mechanism, naming the option', async () => {
    const r = await runMain([...base, '--mechanism', 'aim', '--budget-split', 'each']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--budget-split applies when comparing two or more mechanisms/);
  });
  it('study create refuses a comparison, saying where it runs', async () => {
    const r = await runMain(['study', 'create', '--domain', 'data/adult-domain.json', '--mechanism', 'aim,dpsgd', '--kit', join(root, 'no-kit')]);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--mechanism aim,dpsgd: comparing models on one report runs in `fedsynth simulate` only/);
  });
  it('refuses a mechanism named twice', async () => {
    const r = await runMain([...base, '--mechanism', 'aim,aim']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/--mechanism names a mechanism twice/);
  });
});
