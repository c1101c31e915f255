import { describe, expect, it } from 'vitest';
import { judgeStudy, type AgentPolicy, type StudyAsk } from './StudyPolicy.js';

const policy: AgentPolicy = {
  allowedColumns: ['age', 'sex'],
  maxEpsilonPerStudy: 2,
  maxDeltaPerStudy: 1e-6,
  allowedMechanisms: ['aim', 'mst'],
  minParties: 2,
  autoApprove: { maxEpsilon: 1 },
  allowPlainAggregation: false,
};
const ask: StudyAsk = { studyId: 's', mechanism: 'aim', epsilon: 1, delta: 1e-9, columns: ['age'], parties: 3, aggregation: 'masking' };

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
});
