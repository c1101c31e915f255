import { describe, expect, it } from 'vitest';
import { judgeStudy, plainExposure, type AgentPolicy, type StudyAsk } from './StudyPolicy.js';

const policy: AgentPolicy = {
  allowedColumns: ['age', 'sex'],
  maxEpsilonPerStudy: 2,
  maxDeltaPerStudy: 1e-6,
  allowedMechanisms: ['aim', 'mst'],
  minParties: 2,
  autoApprove: { maxEpsilon: 1 },
  allowPlainAggregation: false,
};
const ask: StudyAsk = { studyId: 's', mechanism: 'aim', epsilon: 1, delta: 1e-9, columns: ['age'], parties: 3, aggregation: 'masking', colluders: 0, dropouts: 0 };

describe('judgeStudy', () => {
  it('approves within policy and auto-approve bound', () => {
    expect(judgeStudy(policy, ask)).toEqual({ kind: 'approve' });
  });
  it('asks the operator above the auto-approve bound', () => {
    expect(judgeStudy(policy, { ...ask, epsilon: 1.5 }).kind).toBe('manual');
  });
  it('lists every violated rule', () => {
    const v = judgeStudy(policy, { ...ask, epsilon: 3, columns: ['age', 'income'], aggregation: 'plain', parties: 1 });
    expect(v.kind).toBe('refuse');
    if (v.kind === 'refuse') expect(v.reasons).toHaveLength(4);
  });
  it('judges plain mode by what it reveals: (n - f - d) times the rho, said before approval', () => {
    const open: AgentPolicy = { ...policy, allowPlainAggregation: true, autoApprove: false };
    // epsilon 0.5 with 4 parties, f = 1, d = 1: the coordinator sees this party's vector with one
    // share planned for 2 honest shares, so up to 2 rho; epsilon(2 rho(0.5)) is about 0.72.
    const v = judgeStudy(open, { ...ask, epsilon: 0.5, aggregation: 'plain', parties: 4, colluders: 1, dropouts: 1 });
    expect(v.kind).toBe('manual');
    if (v.kind === 'manual') expect(v.why).toMatch(/coordinator sees this party's own noisy vector.*2 times the study's epsilon 0.5/);
    const exposure = plainExposure({ ...ask, epsilon: 0.5, aggregation: 'plain', parties: 4, colluders: 1, dropouts: 1 })!;
    expect(exposure.factor).toBe(2);
    expect(exposure.epsilon).toBeGreaterThan(0.7);
    expect(exposure.epsilon).toBeLessThan(0.75);
    // Within the cap as a study (epsilon 1 <= 2) but not as an exposure (3 parties: about 1.8 -> 2.x).
    const r = judgeStudy(open, { ...ask, epsilon: 1.9, aggregation: 'plain', parties: 3 });
    expect(r.kind).toBe('refuse');
    if (r.kind === 'refuse') expect(r.reasons.join('; ')).toMatch(/3 times the study's epsilon 1.9, above the per-study cap 2/);
    // Auto-approval is judged on the exposure too: epsilon 0.8 plain with 3 parties is above 1.
    expect(judgeStudy({ ...open, autoApprove: { maxEpsilon: 1 } }, { ...ask, epsilon: 0.8, aggregation: 'plain', parties: 3 }).kind).toBe('manual');
    expect(judgeStudy({ ...open, autoApprove: { maxEpsilon: 1 } }, { ...ask, epsilon: 0.8, aggregation: 'masking', parties: 3 }).kind).toBe('approve');
    expect(plainExposure(ask)).toBeUndefined();
  });
});
