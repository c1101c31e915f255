// Tests of RoundAccount: each round's charges joined with its release, the operator's line for a
// round that charged parties without a release, and the per-party rho that no released sum carries.
import { describe, expect, it } from 'vitest';
import { roundAccounts, unreleasedRhoByParty, type RoundAttempt } from './RoundAccount.js';

const attempt = (over: Partial<RoundAttempt>): RoundAttempt => ({
  roundIndex: 0,
  attempt: 1,
  roundId: 's/r0',
  label: 'oneway',
  rho: 0.1,
  chargeKey: 's/0/oneway',
  asked: ['a', 'b', 'c'],
  charged: [],
  outcome: 'running',
  errorCode: '',
  errorMessage: '',
  ...over,
});

describe('roundAccounts', () => {
  it('a failed round charged at two parties: not released, why, and their rho counted once per charge key', () => {
    const tries = [1, 2, 3].map((n) => attempt({ attempt: n, charged: ['a', 'b'], outcome: 'failed', errorCode: 'TOO_FEW_SURVIVORS', errorMessage: '2 of 3 parties answered' }));
    const [r] = roundAccounts(tries, [], false);
    expect(r).toMatchObject({ outcome: 'failed', attempts: 3, charged: ['a', 'b'], releasedTo: [], charges: 2, errorCode: 'TOO_FEW_SURVIVORS' });
    expect(r.summary).toBe('round 1 (oneway): charged at a, b; not released after 3 attempts (TOO_FEW_SURVIVORS: 2 of 3 parties answered)');
    expect([...unreleasedRhoByParty([r])]).toEqual([['a', 0.1], ['b', 0.1]]);
  });

  it('a released round: nothing unreleased, except a party dropped after its charge and a fresh charge key', () => {
    const tries = [
      attempt({ attempt: 1, charged: ['a', 'b', 'c'], outcome: 'failed', errorCode: 'ROUND_BINDING_MISMATCH' }),
      attempt({ attempt: 2, chargeKey: 's/0/oneway/a1', charged: ['a', 'b', 'c'], outcome: 'released' }),
    ];
    const [r] = roundAccounts(tries, [{ roundIndex: 0, label: 'oneway', rho: 0.1, participants: ['a', 'b'] }], true);
    expect(r.outcome).toBe('released');
    expect(r.charges).toBe(6);
    // a and b: two keys, one released; c: two keys, none released (dropped out after charging)
    expect([...r.unreleasedRho]).toEqual([['a', 0.1], ['b', 0.1], ['c', 0.2]]);
    expect(r.summary).toMatch(/^round 1 \(oneway\): released after 2 attempts; also charged without release at a, b, c/);
    const clean = roundAccounts([attempt({ charged: ['a', 'b'], outcome: 'released' })], [{ roundIndex: 0, label: 'oneway', rho: 0.1, participants: ['a', 'b'] }], true);
    expect(clean[0].unreleasedRho.size).toBe(0);
    expect(clean[0].summary).toBe('round 1 (oneway): released');
  });

  it('a running attempt is in progress while the study runs, interrupted once it does not', () => {
    const running = [attempt({ roundIndex: 4, charged: ['a'] })];
    expect(roundAccounts(running, [], true)[0]).toMatchObject({ outcome: 'in_progress', summary: 'round 5 (oneway): in progress (attempt 1); charged so far at a' });
    expect(unreleasedRhoByParty(roundAccounts(running, [], true)).size).toBe(0);
    const [r] = roundAccounts(running, [], false);
    expect(r.outcome).toBe('interrupted');
    expect(r.summary).toMatch(/charged at a; not released \(interrupted/);
    expect(unreleasedRhoByParty([r]).get('a')).toBe(0.1);
  });

  it('a round nobody answered says so, and journaled rounds without attempts (older journals) are released', () => {
    const [r] = roundAccounts([attempt({ outcome: 'failed', errorCode: 'TOO_FEW_SURVIVORS', errorMessage: 'x' })], [], false);
    expect(r.summary).toBe('round 1 (oneway): asked a, b, c, no charge confirmed; not released (TOO_FEW_SURVIVORS: x)');
    const old = roundAccounts([], [{ roundIndex: 0, label: 'old', rho: 0.2, participants: ['a'] }], false);
    expect(old[0]).toMatchObject({ outcome: 'released', attempts: 0, releasedTo: ['a'] });
  });
});
