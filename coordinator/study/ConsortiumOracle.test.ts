// Tests of ConsortiumOracle's budget: every release, asked or replayed from the journal, is charged
// to the study's accountant before its round; a release that would overspend never reaches the parties.
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsortiumOracle } from './ConsortiumOracle.js';
import { CoordinatorStore } from '../store/CoordinatorStore.js';
import type { RoundPlan, RoundOutcome } from '../rounds/RoundPlan.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { PrivacyAccountant } from '../../shared/dp/accounting/PrivacyAccountant.js';
import { planDistributedDiscreteGaussian } from '../../shared/dp/mechanisms/distributedDiscreteGaussian.js';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { errorCodeOf } from '../../test/support/errorCodeOf.js';
import { silentLogger } from '../../platform/logging/logging.js';

const domain = new Domain(['a', 'b'], [2, 3]);
const parties = ['p1', 'p2', 'p3'];

function oracleOver(store: CoordinatorStore, budget: PrivacyAccountant, asked: RoundPlan[]): ConsortiumOracle {
  return new ConsortiumOracle({
    studyId: 's',
    domain,
    store,
    log: silentLogger(),
    aggregation: 'plain',
    colluders: 0,
    dropouts: 0,
    minParties: 1,
    maxSilosPerIndividual: 1,
    roundTimeoutMs: 1000,
    participants: () => parties,
    approvedParties: () => parties,
    maxRoundRetries: 0,
    reconnectWaitMs: 0,
    runRound: async (plan: RoundPlan): Promise<RoundOutcome> => {
      asked.push(plan);
      return { sum: new Float64Array(plan.compute.vectorLength).fill(7), survivors: plan.participants, dropped: [], refusals: [] };
    },
    budget,
  });
}

describe('ConsortiumOracle', () => {
  it('charges each release to the study budget before its round, plans the one noise mechanism, refuses to overspend', async () => {
    const store = new CoordinatorStore(join(mkdtempSync(join(tmpdir(), 'oracle-')), 'c.sqlite'));
    store.createStudy({ id: 's', specJson: '{}', seed: '', parties });
    const asked: RoundPlan[] = [];
    const budget = new PrivacyAccountant(0.1);
    const oracle = oracleOver(store, budget, asked);
    const [m] = await oracle.measure([['a', 'b']], 0.06, 'first');
    expect(m.values.length).toBe(6);
    expect(asked[0].compute.perPartySigma2).toBe(planDistributedDiscreteGaussian({ rho: 0.06, l2Sensitivity: 1, parties: 3, colluders: 0, dropouts: 0 }).perPartySigma2);
    expect(budget.charges).toEqual([{ label: 'first', rho: 0.06 }]);
    expect(await errorCodeOf(oracle.measure([['a']], 0.06, 'second'))).toBe(ErrorCode.BudgetExceeded);
    expect(asked.length).toBe(1); // the parties were never asked
    // a restarted coordinator replays the journaled round and charges it to its new budget too
    const replayBudget = new PrivacyAccountant(0.1);
    const replay = oracleOver(store, replayBudget, asked);
    await replay.measure([['a', 'b']], 0.06, 'first');
    expect(asked.length).toBe(1);
    expect(replayBudget.spent.rho).toBe(0.06);
    store.close();
  });
});

describe('ConsortiumOracle retries', () => {
  it('tells a watching operator which round is retried and how long it waits (the study phase)', async () => {
    const store = new CoordinatorStore(join(mkdtempSync(join(tmpdir(), 'oracle-')), 'c.sqlite'));
    store.createStudy({ id: 's', specJson: '{}', seed: '', parties });
    const phases: string[] = [];
    let attempts = 0;
    const oracle = new ConsortiumOracle({
      studyId: 's', domain, store, log: silentLogger(), aggregation: 'plain', colluders: 0, dropouts: 1, minParties: 2, maxSilosPerIndividual: 1,
      roundTimeoutMs: 1000, participants: () => parties, approvedParties: () => parties, maxRoundRetries: 2, reconnectWaitMs: 0,
      runRound: async (plan: RoundPlan): Promise<RoundOutcome> => {
        attempts += 1;
        if (attempts > 1) phases.push(store.getStudy('s').phase);
        // first attempt: only p1 answered (p2, p3 timed out); then everyone is back
        const survivors = attempts === 1 ? ['p1'] : plan.participants;
        return { sum: new Float64Array(plan.compute.vectorLength), survivors, dropped: plan.participants.filter((p) => !survivors.includes(p)), refusals: [] };
      },
    });
    await oracle.measure([['a']], 0.01, 'oneway');
    expect(attempts).toBe(2);
    expect(phases[0]).toMatch(/^round 1 \(oneway\): .*1 of 3 parties answered.*; retry 1 of 2, waiting up to 0 s for the parties to be back$/);
    store.close();
  });
});

describe('ConsortiumOracle round attempts', () => {
  it('journals each attempt with the parties that confirmed a charge; a round that fails after charging is in the status accounts', async () => {
    const store = new CoordinatorStore(join(mkdtempSync(join(tmpdir(), 'oracle-')), 'c.sqlite'));
    store.createStudy({ id: 's', specJson: '{}', seed: '', parties });
    store.setState('s', 'approved');
    store.setState('s', 'running');
    const oracle = new ConsortiumOracle({
      studyId: 's', domain, store, log: silentLogger(), aggregation: 'masking', colluders: 0, dropouts: 0, minParties: 3, maxSilosPerIndividual: 1,
      roundTimeoutMs: 1000, participants: () => parties, approvedParties: () => parties, maxRoundRetries: 1, reconnectWaitMs: 0,
      // p1 and p2 answer the compute stage (charged), p3 never does: the secure sum cannot be unmasked.
      runRound: async (plan: RoundPlan): Promise<RoundOutcome> => {
        plan.onCharged?.('p1');
        plan.onCharged?.('p2');
        throw new FedsynthError(ErrorCode.TooFewSurvivors, 'secure aggregation failed: 2 of 3 parties, threshold 3', {});
      },
    });
    expect(await errorCodeOf(oracle.measure([['a']], 0.01, 'oneway'))).toBe(ErrorCode.TooFewSurvivors);
    const attempts = store.roundAttempts('s');
    expect(attempts.map((a) => [a.attempt, a.outcome, a.charged, a.chargeKey])).toEqual([
      [1, 'failed', ['p1', 'p2'], 's/0/oneway'],
      [2, 'failed', ['p1', 'p2'], 's/0/oneway'],
    ]);
    const [round] = store.roundAccounts('s');
    expect(round).toMatchObject({ outcome: 'failed', charged: ['p1', 'p2'], charges: 2, errorCode: ErrorCode.TooFewSurvivors });
    expect(round.summary).toMatch(/^round 1 \(oneway\): charged at p1, p2; not released after 2 attempts \(TOO_FEW_SURVIVORS: /);
    expect(store.roundsDone('s')).toBe(0);
    store.close();
  });

  it('closes a released attempt as released, and an attempt cut short by a restart as INTERRUPTED', async () => {
    const store = new CoordinatorStore(join(mkdtempSync(join(tmpdir(), 'oracle-')), 'c.sqlite'));
    store.createStudy({ id: 's', specJson: '{}', seed: '', parties });
    // a coordinator died during round 0's first attempt, after p1 confirmed its charge
    const dead = store.beginRoundAttempt({ studyId: 's', roundIndex: 0, roundId: 's/r0', label: 'first', rho: 0.06, chargeKey: 's/0/first', asked: parties });
    store.recordAttemptCharge('s', 0, dead, 'p1');
    const asked: RoundPlan[] = [];
    await oracleOver(store, new PrivacyAccountant(1), asked).measure([['a', 'b']], 0.06, 'first');
    expect(store.roundAttempts('s').map((a) => [a.attempt, a.outcome, a.errorCode])).toEqual([
      [1, 'failed', 'INTERRUPTED'],
      [2, 'released', ''],
    ]);
    expect(store.roundAccounts('s')[0]).toMatchObject({ outcome: 'released', releasedTo: parties });
    store.close();
  });
});

describe('ConsortiumOracle dropouts between rounds', () => {
  it('marks a party dropped when it took part in a round and is absent (offline, never asked) from a later one; a party never in a round is not', async () => {
    const store = new CoordinatorStore(join(mkdtempSync(join(tmpdir(), 'oracle-')), 'c.sqlite'));
    store.createStudy({ id: 's', specJson: '{}', seed: '', parties: ['p1', 'p2', 'p3', 'p4'] });
    // p4 approved but never online; p2 answers the first round, then goes offline before the second
    let online = ['p1', 'p2', 'p3'];
    const oracle = new ConsortiumOracle({
      studyId: 's', domain, store, log: silentLogger(), aggregation: 'plain', colluders: 0, dropouts: 1, minParties: 2, maxSilosPerIndividual: 1,
      roundTimeoutMs: 1000, participants: () => online, approvedParties: () => ['p1', 'p2', 'p3', 'p4'], maxRoundRetries: 0, reconnectWaitMs: 0,
      runRound: async (plan: RoundPlan): Promise<RoundOutcome> => ({ sum: new Float64Array(plan.compute.vectorLength), survivors: plan.participants, dropped: [], refusals: [] }),
    });
    const droppedNow = (): string[] => store.parties('s').filter((p) => p.dropped).map((p) => p.partyId);
    await oracle.measure([['a']], 0.01, 'first');
    expect(droppedNow()).toEqual([]);
    online = ['p1', 'p3'];
    await oracle.measure([['b']], 0.01, 'second');
    expect(droppedNow()).toEqual(['p2']);
    await oracle.measure([['a', 'b']], 0.01, 'third');
    expect(droppedNow()).toEqual(['p2']);
    store.close();
  });
});
