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
import { decodeIntVector } from '../shared/wire/intVectorCodec.js';
import type { StudyStatus } from '../proto/generated/fedsynth/consortium/v1/consortium.js';
import { ProcessConsortium } from './support/ProcessConsortium.js';
import { agentLines, expectFirstRoundRetriedOnce, expectNoRefusals, expectOneChargePerRelease, expectSlowPartyResent, ROUND_TIMEOUT_MS, startAgentsWithSlowParty } from './support/slowPartyRetry.js';

const c = new ProcessConsortium({ name: 'retried-he-round', rows: 900 });
let studyId = '';
let final: StudyStatus;

beforeAll(async () => {
  await c.setup();
  await c.startCoordinator();
  await c.startCustodian();
  startAgentsWithSlowParty(c);
  // HE, 3 parties, t = n = 3: the first round cannot be released without the slow party.
  studyId = await c.createStudy({ aggregation: 'he', mechanism: 'mst', epsilon: 1, delta: 1e-9, rows: 50, roundTimeoutMs: ROUND_TIMEOUT_MS });
  final = await c.waitForStudy(studyId, (s) => s.state === 'done', 300_000, 250);
}, 420_000);

afterAll(() => c.stop());

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
    expectFirstRoundRetriedOnce(c, final);
  });

  it('no party refused any stage of any attempt, and the coordinator refused no contribution', () => {
    expectNoRefusals(c, ['HE contribution refused; party treated as dropped']);
  });

  it('the slow party abandoned attempt 1 once it had computed it, and encrypted for attempt 2 the vector it had recorded', () => {
    expectSlowPartyResent(c, studyId);
    // One noise draw per release at every party: the retry drew nothing new.
    for (const p of c.parties) expect(agentLines(c, p, studyId, 'released a noisy contribution').length, p).toBe(final.roundsDone);
  });

  it("every party's ledger holds one charge per released round and exactly the study's rho", async () => {
    await expectOneChargePerRelease(c, studyId, final);
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
