// Tests of the party budget ledger: caps and refusals, idempotent retries, several processes racing
// on one file, and a crash between charge and send (the charge survives, the retry is free).
import { describe, expect, it, beforeEach } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BudgetLedger, readLedger } from './BudgetLedger.js';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { RDP_ORDERS } from '../../shared/dp/accounting/PrivacyLoss.js';
import { composeLosses, repeatLoss, zcdpLoss } from '../../shared/dp/accounting/PrivacyLoss.js';
import { epsilonFromLoss } from '../../shared/dp/accounting/rdpConversion.js';
import { epsilonFromRho, rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { planGradientRound } from '../../shared/dp/gradient/planGradientRound.js';
import { gradientRoundLoss } from '../../shared/dp/gradient/gradientRoundLoss.js';
import Database from 'better-sqlite3';

const run = promisify(execFile);
const VITE_NODE = join(process.cwd(), 'node_modules/.bin/vite-node');
const CHILD = join(process.cwd(), 'test/support/ledgerChild.ts');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-'));
});

function caught(f: () => unknown): { code?: string; details?: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    return e as { code?: string; details?: Record<string, unknown> };
  }
  throw new Error('expected an error');
}

describe('BudgetLedger', () => {
  it('records charges, enforces the per-study cap and reports requested/remaining', () => {
    const l = new BudgetLedger(join(dir, 'a.db'), { perStudyRho: 0.3, lifetimeRho: 1 });
    l.charge({ studyId: 's1', idempotencyKey: 's1/r1/m1', rho: 0.2, label: 'm1' });
    const e = caught(() => l.charge({ studyId: 's1', idempotencyKey: 's1/r1/m2', rho: 0.2, label: 'm2' }));
    expect(e.code).toBe(ErrorCode.BudgetExceeded);
    expect(e.details?.requested).toBe(0.2);
    expect(e.details?.remaining as number).toBeCloseTo(0.1, 12);
    expect(e.details?.scope).toBe('study');
    expect(l.spent('s1')).toBeCloseTo(0.2, 12);
    expect(l.list().map((c) => c.idempotencyKey)).toEqual(['s1/r1/m1']);
    // a study-specific cap tighter than the default applies
    const e2 = caught(() => l.charge({ studyId: 's2', idempotencyKey: 's2/r1/m1', rho: 0.2, label: 'x', studyCapRho: 0.1 }));
    expect(e2.code).toBe(ErrorCode.BudgetExceeded);
    l.close();
  });

  it('enforces the lifetime cap per dataset across studies, separately per dataset', () => {
    const l = new BudgetLedger(join(dir, 'b.db'), { perStudyRho: 1, lifetimeRho: 1.5 });
    l.charge({ studyId: 's1', idempotencyKey: 'k1', rho: 1, label: '', dataset: 'adult' });
    const e = caught(() => l.charge({ studyId: 's2', idempotencyKey: 'k2', rho: 0.6, label: '', dataset: 'adult' }));
    expect(e.code).toBe(ErrorCode.BudgetExceeded);
    expect(e.details?.scope).toBe('lifetime');
    expect(e.details?.remaining as number).toBeCloseTo(0.5, 12);
    l.charge({ studyId: 's2', idempotencyKey: 'k3', rho: 0.6, label: '', dataset: 'census' });
    expect(l.lifetimeSpent('adult')).toBe(1);
    expect(l.lifetimeSpent('census')).toBe(0.6);
    l.close();
  });

  it('is idempotent: a retry returns the recorded charge; a different rho for the key is refused', () => {
    const path = join(dir, 'c.db');
    const l = new BudgetLedger(path, { perStudyRho: 1, lifetimeRho: 1 });
    const a = l.charge({ studyId: 's1', idempotencyKey: 's1/r1/m1', rho: 0.5, label: 'm1' });
    const b = l.charge({ studyId: 's1', idempotencyKey: 's1/r1/m1', rho: 0.5, label: 'm1' });
    expect(a.replayed).toBe(false);
    expect(b.replayed).toBe(true);
    expect(b.id).toBe(a.id);
    expect(l.spent('s1')).toBe(0.5);
    expect(caught(() => l.charge({ studyId: 's1', idempotencyKey: 's1/r1/m1', rho: 0.4, label: 'm1' })).code).toBe(ErrorCode.ProtocolViolation);
    expect(() => l.charge({ studyId: 's1', idempotencyKey: 'k', rho: NaN, label: '' })).toThrow();
    expect(() => l.charge({ studyId: 's1', idempotencyKey: 'k', rho: -1, label: '' })).toThrow();
    l.close();
    expect(readLedger(path).length).toBe(1);
    expect(() => readLedger(join(dir, 'missing.db'))).toThrow(/no ledger/);
  });

  it('composes an RDP charge (e.g. a subsampled Gaussian) with zCDP charges against the same caps', () => {
    const path = join(dir, 'rdp.db');
    const l = new BudgetLedger(path, { perStudyRho: 1, lifetimeRho: 1, delta: 1e-9 });
    const gaussian = (rho: number): number[] => RDP_ORDERS.map((a) => rho * a);
    l.charge({ studyId: 's1', idempotencyKey: 'z', rho: 0.5, label: 'marginals' });
    const c = l.charge({ studyId: 's1', idempotencyKey: 'g', rho: 0, rdp: gaussian(0.45), label: 'gradients' });
    expect(c.rdp?.length).toBe(RDP_ORDERS.length);
    // zCDP 0.5 + RDP 0.45 leave less than 0.05 (the order grid costs a little): 0.06 more is refused
    const e = caught(() => l.charge({ studyId: 's1', idempotencyKey: 'z2', rho: 0.06, label: 'more' }));
    expect(e.code).toBe(ErrorCode.BudgetExceeded);
    expect(e.details?.remaining as number).toBeLessThan(0.05);
    expect(e.details?.remaining as number).toBeGreaterThan(0.04);
    // and also an RDP charge that alone would fit
    expect(caught(() => l.charge({ studyId: 's2', idempotencyKey: 'g2', rho: 0, rdp: gaussian(0.2), label: 'g' })).details?.scope).toBe('lifetime');
    // the same key with another curve is a protocol violation, the same curve a replay
    expect(caught(() => l.charge({ studyId: 's1', idempotencyKey: 'g', rho: 0, rdp: gaussian(0.4), label: 'gradients' })).code).toBe(ErrorCode.ProtocolViolation);
    expect(l.charge({ studyId: 's1', idempotencyKey: 'g', rho: 0, rdp: gaussian(0.45), label: 'gradients' }).replayed).toBe(true);
    expect(() => l.charge({ studyId: 's1', idempotencyKey: 'bad', rho: 0, rdp: [1, 2], label: '' })).toThrow(/RDP curve/);
    l.close();
    // reopened: the committed RDP charge still counts; the epsilon of the caps is what binds
    const again = new BudgetLedger(path, { perStudyRho: 1, lifetimeRho: 1, delta: 1e-9 });
    expect(caught(() => again.charge({ studyId: 's1', idempotencyKey: 'z3', rho: 0.06, label: 'more' })).code).toBe(ErrorCode.BudgetExceeded);
    again.charge({ studyId: 's1', idempotencyKey: 'z4', rho: 0.04, label: 'less' });
    again.close();
  });

  it('charges DP-SGD rounds (RDP curves) after a zCDP release, refuses the first round past the cap, records nothing then', () => {
    const path = join(dir, 'dpsgd.db');
    const delta = 1e-9;
    const cap = rhoFromEpsilon(1, delta);
    const l = new BudgetLedger(path, { perStudyRho: cap, lifetimeRho: 10 * cap, delta });
    l.charge({ studyId: 's', idempotencyKey: 's/marginals', rho: 0.3 * cap, label: 'marginals' });
    // the per-round plan of a training planned for epsilon 1 alone over 200 rounds: the marginals took 30%
    const plan = planGradientRound({
      dimension: 1000, clipNorm: 1, sampleRate: 0.01, rounds: 200, epsilon: 1, delta, parties: 3, colluders: 0, dropouts: 0,
      bits: 32, rotationSeed: 's/r', expectedBatchSize: 100,
    });
    const round = gradientRoundLoss(plan);
    let admitted = 0;
    let refusal: { code?: string; details?: Record<string, unknown> } | undefined;
    for (let r = 1; r <= 200 && refusal === undefined; r++) {
      try {
        l.charge({ studyId: 's', idempotencyKey: `s/round-${r}`, rho: 0, rdp: round.rdp, label: `dpsgd round ${r}` });
        admitted++;
      } catch (e) {
        refusal = e as { code?: string; details?: Record<string, unknown> };
      }
    }
    expect(refusal?.code).toBe(ErrorCode.BudgetExceeded);
    expect(refusal?.details).toMatchObject({ scope: 'study', rdp: true, studyId: 's' });
    expect(admitted).toBeGreaterThan(20);
    expect(admitted).toBeLessThan(200);
    // exactly where the composed curve crosses the cap's epsilon (composition of zCDP and RDP parts)
    const budget = epsilonFromRho(cap, delta);
    const spent = (k: number) => epsilonFromLoss(composeLosses(zcdpLoss(0.3 * cap), repeatLoss(round, k)), delta);
    expect(spent(admitted)).toBeLessThanOrEqual(budget * (1 + 1e-12));
    expect(spent(admitted + 1)).toBeGreaterThan(budget);
    expect(l.list().length).toBe(1 + admitted); // the refused round recorded nothing
    // a retry of an admitted round is free; the refused round stays refused after a reopen
    expect(l.charge({ studyId: 's', idempotencyKey: 's/round-1', rho: 0, rdp: round.rdp, label: 'dpsgd round 1' }).replayed).toBe(true);
    l.close();
    const again = new BudgetLedger(path, { perStudyRho: cap, lifetimeRho: 10 * cap, delta });
    expect(caught(() => again.charge({ studyId: 's', idempotencyKey: `s/round-${admitted + 1}`, rho: 0, rdp: round.rdp, label: 'again' })).code).toBe(ErrorCode.BudgetExceeded);
    // a zCDP release is refused past the same composed cap too
    expect(caught(() => again.charge({ studyId: 's', idempotencyKey: 's/more', rho: 0.1 * cap, label: 'more marginals' })).code).toBe(ErrorCode.BudgetExceeded);
    again.close();
  });

  it('two connections on one file see each other\'s curve charges (the composed-curve cache reads new rows)', () => {
    const path = join(dir, 'two.db');
    const opts = { perStudyRho: 1, lifetimeRho: 1, delta: 1e-9 };
    const a = new BudgetLedger(path, opts);
    const b = new BudgetLedger(path, opts);
    const curve = RDP_ORDERS.map((x) => 0.4 * x); // rho 0.4 as a curve: two fit under rho 1, three do not
    a.charge({ studyId: 's', idempotencyKey: 'a1', rho: 0, rdp: curve, label: 'a1' });
    b.charge({ studyId: 's', idempotencyKey: 'b1', rho: 0, rdp: curve, label: 'b1' });
    const e = caught(() => a.charge({ studyId: 's', idempotencyKey: 'a2', rho: 0, rdp: curve, label: 'a2' }));
    expect(e.code).toBe(ErrorCode.BudgetExceeded);
    expect(caught(() => b.charge({ studyId: 's', idempotencyKey: 'b2', rho: 0.4, label: 'b2' })).code).toBe(ErrorCode.BudgetExceeded);
    a.charge({ studyId: 's', idempotencyKey: 'a3', rho: 0.15, label: 'zcdp fits' });
    a.close();
    b.close();
  });

  it('opens a ledger written before RDP charges existed (adds the column, keeps the charges)', () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    db.exec(`CREATE TABLE budget_charges (id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL UNIQUE, study_id TEXT NOT NULL,
      dataset TEXT NOT NULL, rho REAL NOT NULL CHECK (rho >= 0), label TEXT NOT NULL, created_ms INTEGER NOT NULL)`);
    db.prepare('INSERT INTO budget_charges (idempotency_key, study_id, dataset, rho, label, created_ms) VALUES (?, ?, ?, ?, ?, ?)').run('k', 's', 'default', 0.25, 'old', 1);
    db.close();
    const l = new BudgetLedger(path, { perStudyRho: 1, lifetimeRho: 1 });
    expect(l.spent('s')).toBe(0.25);
    expect(l.list()[0].rdp).toBeUndefined();
    l.charge({ studyId: 's', idempotencyKey: 'k2', rho: 0.75, label: 'new' });
    expect(caught(() => l.charge({ studyId: 's', idempotencyKey: 'k3', rho: 0.01, label: 'x' })).code).toBe(ErrorCode.BudgetExceeded);
    l.close();
  });

  it('several processes racing on one file never exceed the cap nor double charge', async () => {
    const path = join(dir, 'race.db');
    new BudgetLedger(path, { perStudyRho: 10, lifetimeRho: 0.5 }).close();
    const outs = await Promise.all(['p0', 'p1', 'p2'].map((who) => run(VITE_NODE, [CHILD, 'race', path, who])));
    const res = outs.map((o) => JSON.parse(o.stdout.trim().split('\n').pop() as string) as { ok: number; replayed: number; refused: number });
    const charges = readLedger(path);
    // 20 shared + 3 * 15 own keys = 65 distinct charges of 0.01 against a cap of 0.5: exactly 50 fit.
    expect(charges.length).toBe(50);
    expect(new Set(charges.map((c) => c.idempotencyKey)).size).toBe(50);
    expect(res.reduce((s, r) => s + r.ok, 0)).toBe(50);
    expect(charges.reduce((s, c) => s + c.rho, 0)).toBeLessThanOrEqual(0.5 * (1 + 1e-12));
    for (const r of res) expect(r.ok + r.replayed + r.refused).toBe(35);
  });

  it('a crash between charge and send keeps the charge; the retry does not charge twice', async () => {
    const path = join(dir, 'crash.db');
    await expect(run(VITE_NODE, [CHILD, 'crash', path, 'x'])).rejects.toBeTruthy(); // killed by SIGKILL
    const l = new BudgetLedger(path, { perStudyRho: 10, lifetimeRho: 0.5 });
    expect(l.spent('s1')).toBeCloseTo(0.1, 12);
    const retry = l.charge({ studyId: 's1', idempotencyKey: 's1/r1/m1', rho: 0.1, label: 'crash-test' });
    expect(retry.replayed).toBe(true);
    expect(l.list().length).toBe(1);
    l.close();
  });
});
