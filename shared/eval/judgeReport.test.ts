// Tests for judgeReport: the bands of each criterion, never a pass for what was not measured, exact
// copies judged only against a control rate, and the overall verdict (planted faults in the commit message).
import { describe, expect, it } from 'vitest';
import type { EvaluationReport } from './EvaluationReport.js';
import { rhoFromEpsilon } from '../dp/accounting/cdpConversion.js';
import { judgeReport, REPORT_THRESHOLDS } from './judgeReport.js';
import type { AttackRisk, RiskFigures } from './RiskFigures.js';

const attack = (risk: number, ci: [number, number]): AttackRisk => ({
  risk,
  ci,
  confidence: 0.95,
  attack: { successes: 10, attacks: 100, rate: 0.1 },
  control: { successes: 9, attacks: 100, rate: 0.09 },
  baseline: null,
});

function report(over: { acc2?: number; risk?: RiskFigures | null; exactMatchRate?: number; epsilon?: number; rho?: number; delta?: number; subgroups?: EvaluationReport['fidelity']['subgroups'] } = {}): Omit<EvaluationReport, 'summary'> {
  return {
    title: 't',
    columns: ['a', 'b'],
    labels: [['0', '1'], ['0', '1']],
    labelsFromSchema: false,
    rows: { real: 100_000, holdout: 0, synthetic: 100_000 },
    fidelity: {
      tv: [],
      tvHoldoutCeiling: null,
      accuracy: [{ way: 1, synthetic: 0.99, holdoutCeiling: null }, { way: 2, synthetic: over.acc2 ?? 0.95, holdoutCeiling: null }],
      marginals: [],
      correlation: { real: [], synth: [], difference: [], measure: [], meanAbsDifference: 0, maxAbsDifference: 0 },
      distributions: [],
      subgroups: over.subgroups ?? { rule: 'r', minRows: 30, columns: [], flagged: 0 },
      wasserstein: null,
    },
    utility: { target: 'b', testRows: 10, tstr: { accuracy: 0.8, macroF1: 0.7, auc: 0.88 }, trtr: { accuracy: 0.8, macroF1: 0.7, auc: 0.9 } },
    privacy: {
      exactMatchRate: over.exactMatchRate ?? 0.114,
      exactCopies: 1,
      dcrShare: null,
      miaAuc: null,
      nndrMean: 0.8,
      discriminatorAuc: 0.6,
      dcrHistogram: [],
      nndrHistogram: [],
      risk: over.risk ?? null,
      riskPerSilo: [],
    },
    pooled: null,
    privacySpent: { rho: over.rho ?? 0.04, epsilon: over.epsilon ?? 1, delta: over.delta ?? 1e-9 },
    parameters: {},
    unavailable: [],
    seconds: {},
  };
}

const verdict = (r: Omit<EvaluationReport, 'summary'>, id: string) => judgeReport(r).criteria.find((c) => c.id === id)?.verdict;

describe('judgeReport', () => {
  it('bands fidelity at the stated thresholds', () => {
    expect(verdict(report({ acc2: REPORT_THRESHOLDS.accuracy2.pass }), 'fidelity')).toBe('pass');
    expect(verdict(report({ acc2: REPORT_THRESHOLDS.accuracy2.pass - 1e-9 }), 'fidelity')).toBe('review');
    expect(verdict(report({ acc2: REPORT_THRESHOLDS.accuracy2.review - 1e-9 }), 'fidelity')).toBe('fail');
  });

  it('never passes a figure that was not measured, and says why', () => {
    const s = judgeReport(report());
    for (const id of ['singlingOut', 'linkability', 'inference', 'mia', 'dcr']) {
      const c = s.criteria.find((x) => x.id === id);
      expect(c?.verdict, id).toBe('review');
      expect(c?.value, id).toBe('not measured');
    }
    // Exact copies without a control rate: the figure is shown, with no reference it cannot pass.
    const ex = s.criteria.find((c) => c.id === 'exactMatch');
    expect(ex).toMatchObject({ value: '11.4%', verdict: 'review' });
    expect(ex?.reference).toMatch(/no control rows/);
    expect(s.verdict).toBe('review');
  });

  it('judges risks against their CI and exact copies against the control rate', () => {
    const risk: RiskFigures = {
      scope: 'aggregate',
      party: null,
      trainRows: 1000,
      controlRows: 1000,
      singlingOut: attack(0.01, [0, 0.04]),
      linkability: attack(0.04, [0.01, 0.07]),
      inference: { ...attack(0.2, [0.15, 0.25]), column: 'b', perColumn: [] },
      mia: { auc: 0.52, ci: null, method: 'density-ratio', members: 100, nonMembers: 100 },
      exactMatch: { rate: 0.114, controlRate: 0.109, synthRows: 1000 },
      dcr: { rate: 0.3, controlRate: 0.1, synthRows: 1000 },
      notes: [],
    };
    const r = report({ risk });
    expect(verdict(r, 'singlingOut')).toBe('pass');
    expect(verdict(r, 'linkability')).toBe('review');
    expect(verdict(r, 'inference')).toBe('fail');
    expect(verdict(r, 'mia')).toBe('pass');
    expect(verdict(r, 'exactMatch')).toBe('pass');
    expect(verdict(r, 'dcr')).toBe('fail');
    expect(judgeReport(r).verdict).toBe('fail');
    expect(verdict(report({ risk: { ...risk, exactMatch: { rate: 0.114, controlRate: 0.05, synthRows: 1000 } } }), 'exactMatch')).toBe('fail');
  });

  it('judges each criterion at its worst silo when only per-silo figures exist', () => {
    const silo = (party: string, exact: number): RiskFigures => ({
      scope: 'silo',
      party,
      trainRows: 1000,
      controlRows: 200,
      singlingOut: attack(0.01, [0, 0.04]),
      linkability: attack(0.01, [0, 0.04]),
      inference: null,
      mia: null,
      exactMatch: { rate: exact, controlRate: 0.1, synthRows: 1000 },
      dcr: null,
      notes: [],
    });
    const r = { ...report(), privacy: { ...report().privacy, riskPerSilo: [silo('a', 0.1), silo('b', 0.2), silo('c', 0.1)] } };
    const s = judgeReport(r);
    expect(s.criteria.find((c) => c.id === 'exactMatch')).toMatchObject({ verdict: 'fail', value: '20.0% (b, the worst of 3 silos)' });
    expect(s.criteria.find((c) => c.id === 'singlingOut')).toMatchObject({ verdict: 'pass', value: '0.010 [0.000, 0.040] (a; all 3 silos pass)' });
    expect(s.criteria.find((c) => c.id === 'inference')?.verdict).toBe('review');
  });

  it('passes the guarantee only for a small epsilon and delta below 1/rows', () => {
    expect(verdict(report({ epsilon: 1 }), 'guarantee')).toBe('pass');
    expect(verdict(report({ epsilon: 5 }), 'guarantee')).toBe('review');
    expect(verdict(report({ epsilon: 50 }), 'guarantee')).toBe('fail');
  });

  it('says when rho is only the zCDP part of the guarantee (a dpsgd study: RDP rounds)', () => {
    const value = (r: Omit<EvaluationReport, 'summary'>) => judgeReport(r).criteria.find((c) => c.id === 'guarantee')?.value;
    expect(value(report({ epsilon: 1, delta: 1e-9, rho: rhoFromEpsilon(1, 1e-9) }))).toMatch(/, ρ = 0\.0\d+ \(zCDP\)$/);
    expect(value(report({ epsilon: 0.5, delta: 5e-10, rho: 3.8e-5 }))).toBe('ε = 0.50, δ = 5e-10, ρ = 0.0000 (zCDP part; ε also counts RDP charges)');
  });

  it('subgroups: low alone is review whatever its size; absent or distorted fails only for a group of >= 5% of the rows', () => {
    type Group = NonNullable<EvaluationReport['fidelity']['subgroups']>['columns'][number]['groups'][number];
    const group = (over: Partial<Group>): Group => ({ code: 0, realRows: 3000, synthRows: 3000, realShare: 0.3, synthShare: 0.3, tv1: 0.05, tv2: 0.2, floor2: 0.05, blind2: 0.15, distorted: false, flag: 'ok', ...over });
    const withGroups = (...groups: Group[]) =>
      report({ subgroups: { rule: 'r', minRows: 30, flagged: groups.filter((g) => g.flag !== 'ok').length, columns: [{ column: 'a', overall: { tv1: 0.02, tv2: 0.06, floor2: 0.02 }, groups }] } });
    expect(verdict(withGroups(group({})), 'subgroups')).toBe('pass');
    expect(verdict(withGroups(group({ flag: 'low' })), 'subgroups')).toBe('review'); // a large group at several times its floor: what DP does
    expect(verdict(withGroups(group({ flag: 'low', distorted: true })), 'subgroups')).toBe('fail');
    expect(verdict(withGroups(group({ flag: 'absent', synthRows: 0, synthShare: 0, tv2: null })), 'subgroups')).toBe('fail');
    expect(verdict(withGroups(group({ flag: 'absent', realShare: 0.049, synthRows: 0, synthShare: 0, tv2: null })), 'subgroups')).toBe('review');
    expect(verdict(withGroups(group({ flag: 'low', distorted: true, realShare: 0.049 })), 'subgroups')).toBe('review');
    const c = judgeReport(withGroups(group({ flag: 'low', distorted: true }))).criteria.find((x) => x.id === 'subgroups');
    expect(c?.value).toBe('1 of 1 subgroups flagged, 1 distorted (a=0 ≥ 5% of rows)');
    expect(c?.threshold).toMatch(/fail: a subgroup holding ≥ 5% of the rows is absent or distorted/);
  });
});
