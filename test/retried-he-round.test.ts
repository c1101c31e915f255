// A homomorphic (he) round retried while a slow party still computes the attempt before it, with real
// processes on 127.0.0.1 (coordinator, key custodian, 3 agents): the retry is released, every ledger is
// charged once per release, and the released sums are exactly the sums of the vectors the parties recorded.
//
// The masking incident (test/retried-round.test.ts) in HE mode: the round times out at attempt 1 while
// hospital-b still counts (FEDSYNTH_TEST_DELAY_AT holds its first count past the study's round timeout,
// after the charge); attempt 2 keeps the round id and charge key. What must hold: hospital-b abandons
// attempt 1 unanswered and encrypts for attempt 2 the vector it recorded for the charge key (no second
// noise draw, no second charge); every party re-encrypts the same recorded vector; the custodian
// decrypts the round once. Every contribution here is one ciphertext (m <= 4096), so no chunk is
// pulled: the per-attempt keying of chunked contributions is covered by party-agent/rounds/HeParticipant.test.ts.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRASH_HOOK_ENV } from '../platform/testing/crashHook.js';
import { DELAY_HOOK_ENV } from '../platform/testing/delayHook.js';
import { decodeIntVector } from '../shared/wire/intVectorCodec.js';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { runCliJson } from './support/runCli.js';

interface LedgerDoc {
  charges: { idempotencyKey: string; studyId: string; rho: number }[];
  spentByStudy: Record<string, number>;
}

const c = new ProcessConsortium({ name: 'retried-he-round', rows: 900 });
const SLOW = 'hospital-b';
/** The study's own round timeout (the coordinator's is 60 s here): room for a loaded machine. */
const ROUND_TIMEOUT_MS = 10_000;
/** The slow party's first count: past attempt 1's timeout, well within attempt 2's. */
const DELAY_MS = 15_000;
let studyId = '';
let final: StudyStatus;

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  await c.startCustodian();
  for (const p of c.parties) {
    if (p === SLOW) c.startAgent(p, { env: { [CRASH_HOOK_ENV.enable]: '1', [DELAY_HOOK_ENV.at]: `compute.evaluate@1:${DELAY_MS}` } });
    else c.startAgent(p);
  }
  // HE, 3 parties, t = n = 3: the first round cannot be released without the slow party.
  studyId = await c.createStudy({ aggregation: 'he', mechanism: 'mst', epsilon: 1, delta: 1e-9, rows: 50, roundTimeoutMs: ROUND_TIMEOUT_MS });
  final = await c.waitForStudy(studyId, (s) => s.state === 'done', 300_000, 250);
}, 420_000);

afterAll(() => c.stop());

/** The slow agent's log lines for the study with message `msg`. */
function slowLines(msg: string): Record<string, unknown>[] {
  return (c.agents.get(SLOW)?.logLines() ?? []).filter((l) => l.studyId === studyId && l.msg === msg);
}

/** Rows of a service's SQLite state, read while it runs (WAL: a read-only reader sees committed rows). */
function rowsOf<T>(file: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

describe('an HE round retried while a party still computes its first attempt (3 processes and the key custodian)', () => {
  it('the slow party was slow, the first round was released at attempt 2, and the study finished', () => {
    expect(c.agents.get(SLOW)?.stderr()).toContain(`fedsynth test hook: delay ${DELAY_MS} ms at compute.evaluate`);
    expect(final.state).toBe('done');
    expect(final.roundTimeoutMs).toBe(ROUND_TIMEOUT_MS);
    const rounds = [...final.rounds].sort((a, b) => a.index - b.index);
    expect(rounds[0]).toMatchObject({ outcome: 'released', attempts: 2, releasedTo: [...c.parties] });
    for (const r of rounds) expect(r.outcome, `round ${r.index}`).toBe('released');
  });

  it('no party refused any stage of any attempt, and the coordinator refused no contribution', () => {
    const refusedAtAgents = c.parties.flatMap((p) => (c.agents.get(p)?.logLines() ?? []).filter((l) => typeof l.msg === 'string' && l.msg.startsWith('refusing round')));
    expect(refusedAtAgents.map((l) => `${String(l.partyId)} ${String(l.code)}: ${String(l.msg)}`)).toEqual([]);
    const refusedAtCoordinator = (c.coordinator?.logLines() ?? []).filter((l) => typeof l.msg === 'string' && (l.msg.startsWith('party refused') || l.msg === 'HE contribution refused; party treated as dropped'));
    expect(refusedAtCoordinator.map((l) => `${String(l.partyId)} ${String(l.code)}: ${String(l.msg)}`)).toEqual([]);
  });

  it('the slow party abandoned attempt 1 once it had computed it, and encrypted for attempt 2 the vector it had recorded', () => {
    const superseded = slowLines('round request superseded by a later attempt of the round: not answered');
    expect(superseded).toEqual([expect.objectContaining({ roundId: `${studyId}/r0`, attempt: 1, supersededBy: 2, computed: true })]);
    const resent = slowLines('re-sending the noisy vector already released for this charge key');
    expect(resent.map((l) => l.roundId)).toEqual([`${studyId}/r0`]);
    // One noise draw per release at every party: the retry drew nothing new.
    for (const p of c.parties) {
      const drawn = (c.agents.get(p)?.logLines() ?? []).filter((l) => l.studyId === studyId && l.msg === 'released a noisy contribution');
      expect(drawn.length, p).toBe(final.roundsDone);
    }
  });

  it("every party's ledger holds one charge per released round and exactly the study's rho", async () => {
    for (const p of c.parties) {
      const doc = await runCliJson<LedgerDoc>(['privacy', 'ledger', '--state', join(c.stateDir(p), 'ledger.sqlite')]);
      const mine = doc.charges.filter((ch) => ch.studyId === studyId);
      expect(new Set(mine.map((ch) => ch.idempotencyKey)).size, `${p}: a key charged twice`).toBe(mine.length);
      expect(mine.length, p).toBe(final.roundsDone);
      expect(mine.filter((ch) => /\/a\d+$/.test(ch.idempotencyKey)), `${p}: a fresh attempt (new charge key)`).toEqual([]);
      expect(Math.abs(doc.spentByStudy[studyId] - final.spec!.rho), `${p} spent ${doc.spentByStudy[studyId]}`).toBeLessThan(1e-12);
    }
  });

  it('each released sum is exactly the sum of the noisy vectors its contributors recorded, decrypted once by the custodian', () => {
    const journaled = rowsOf<{ round_id: string; sum: Buffer; participants: string }>(
      join(c.coordinatorDataDir, 'coordinator.sqlite'),
      'SELECT round_id, sum, participants FROM rounds WHERE study_id = ? ORDER BY round_index',
      studyId,
    );
    expect(journaled.length).toBe(final.roundsDone);
    const recorded = new Map(
      c.parties.map((p) => [p, new Map(rowsOf<{ round_id: string; noisy: Buffer; element_bits: number }>(join(c.stateDir(p), 'agent.sqlite'), 'SELECT round_id, noisy, element_bits FROM releases WHERE study_id = ?', studyId).map((r) => [r.round_id, r]))]),
    );
    for (const r of journaled) {
      const sum = new Float64Array(r.sum.buffer.slice(r.sum.byteOffset, r.sum.byteOffset + r.sum.byteLength));
      const contributors = JSON.parse(r.participants) as string[];
      expect(contributors, r.round_id).toEqual([...c.parties]);
      const expected = new Float64Array(sum.length);
      for (const p of contributors) {
        const rec = recorded.get(p)?.get(r.round_id);
        if (!rec) throw new Error(`${p} recorded no release for ${r.round_id}`);
        const v = decodeIntVector(rec.noisy, rec.element_bits, sum.length);
        for (let i = 0; i < v.length; i++) expected[i] += v[i];
      }
      expect([...sum], r.round_id).toEqual([...expected]);
    }
    const decrypted = rowsOf<{ round_id: string; charge_key: string }>(join(c.custodianStateDir, 'custodian.sqlite'), 'SELECT round_id, charge_key FROM decryptions').filter((d) => d.round_id.startsWith(`${studyId}/`));
    expect(decrypted.map((d) => d.round_id).sort()).toEqual(journaled.map((r) => r.round_id).sort());
    expect(new Set(decrypted.map((d) => d.charge_key)).size).toBe(decrypted.length);
  });
});
