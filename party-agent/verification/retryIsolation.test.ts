// Retry isolation, in process: real agents' compute handler, MaskingParticipant and AgentStore behind a
// coordinator double that finishes a round, re-runs it without party X and subtracts (issue 16, finding 1).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, FedsynthError, isFedsynthError } from '../../shared/errors/FedsynthError.js';
import { Domain } from '../../shared/pgm/Domain.js';
import { EncodedTable } from '../../shared/data/EncodedTable.js';
import { InMemoryMarginalSource } from '../../shared/data/InMemoryMarginalSource.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { planDistributedGaussian } from '../../shared/dp/distributed/planDistributedGaussian.js';
import { loadSodium } from '../../shared/secagg/sodium.js';
import { decodeIntVector } from '../../shared/wire/intVectorCodec.js';
import { silentLogger } from '../../platform/logging/logging.js';
import { runMaskingRound } from '../../coordinator/rounds/MaskingRound.js';
import type { AgentGateway } from '../../coordinator/gateway/AgentGateway.js';
import type { AgentSession } from '../../coordinator/gateway/AgentSession.js';
import type { RoundPlan } from '../../coordinator/rounds/RoundPlan.js';
import type { RoundReply, RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { encodeLocalQuery } from '../../platform/wire/localQueryWire.js';
import type { LocalQuery } from '../../shared/synth/LocalQuery.js';
import { AgentStore } from '../state/AgentStore.js';
import { handleCompute } from '../rounds/ComputeHandler.js';
import type { ApprovedStudy } from '../rounds/ComputeContext.js';
import { MaskingParticipant } from '../rounds/MaskingParticipant.js';
import { computeStageFromWire, computeStageToWire } from '../../platform/wire/computeStageWire.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-retry-isolation-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const log = silentLogger();
const domain = new Domain(['a', 'b'], [6, 3]);
const PARTIES = ['A', 'B', 'C', 'X'];
const studyId = 'retry';
const enc = new TextEncoder();
const dec = new TextDecoder();

function silo(i: number): EncodedTable {
  const rows = ['a,b'];
  for (let r = 0; r < 40; r++) rows.push(`${(r * (i + 3)) % 6},${(r + i) % 3}`);
  return EncodedTable.fromCsv(rows.join('\n') + '\n', domain);
}

interface Agent {
  id: string;
  store: AgentStore;
  charges: Map<string, number>;
  masking: MaskingParticipant;
  study: ApprovedStudy;
  handle(req: RoundRequest): Promise<RoundReply['stage']>;
}

/** Four agents; `bindings` false plants the fault (no survivor binding at the agents). */
async function agents(dir: string, bindings: boolean): Promise<Agent[]> {
  const sodium = await loadSodium();
  const keys = new Map(PARTIES.map((p) => [p, sodium.crypto_sign_seed_keypair(new Uint8Array(32).fill(p.charCodeAt(0)))]));
  return PARTIES.map((id, i) => {
    const store = new AgentStore(join(root, `${dir}-${id}.sqlite`));
    const charges = new Map<string, number>();
    const masking = new MaskingParticipant(
      {
        partyId: id,
        signingSecretKey: keys.get(id)!.privateKey,
        certificate: enc.encode(id),
        verifyPeer: (der) => ({ partyId: dec.decode(der), role: 'party', signingPublicKeyRaw: keys.get(dec.decode(der))!.publicKey }),
      },
      seededRandomSource(dir, `secagg/${id}`),
      {},
      bindings ? store : undefined,
    );
    const study: ApprovedStudy = { studyId, studyRho: 10, colluders: 0, dropouts: 1, maxSilosPerIndividual: 1, parties: PARTIES, aggregation: 'masking' };
    const source = new InMemoryMarginalSource(silo(i));
    const ledger = {
      charge(r: { idempotencyKey: string; rho: number }) {
        const was = charges.get(r.idempotencyKey);
        if (was !== undefined && was !== r.rho) throw new FedsynthError(ErrorCode.ProtocolViolation, 'rho changed');
        charges.set(r.idempotencyKey, r.rho);
      },
    };
    const noiseRng = seededRandomSource(dir, `noise/${id}`);
    return {
      id,
      store,
      charges,
      masking,
      study,
      async handle(req) {
        if (req.stage?.$case === 'compute') {
          const compute = computeStageFromWire(req.stage.value);
          const out = await handleCompute({ domain, source, store, ledger, noiseRng, log }, study, req.roundId, compute);
          return masking.begin(req, compute, out, study);
        }
        return masking.handle(req);
      },
    };
  });
}

/** A coordinator double's gateway; `drop(party, stage)` makes a party silent at a stage. */
function gateway(all: Agent[], drop: (party: string, stage: string) => boolean = () => false): AgentGateway {
  const sessions = new Map(
    all.map((a) => [
      a.id,
      {
        certificate: enc.encode(a.id),
        async request(req: RoundRequest): Promise<RoundReply> {
          if (drop(a.id, req.stage?.$case ?? '')) throw new Error(`${a.id} silent at ${req.stage?.$case}`);
          try {
            return { studyId: req.studyId, roundId: req.roundId, attempt: req.attempt, stage: await a.handle(req) };
          } catch (e) {
            const code = isFedsynthError(e) ? e.code : ErrorCode.Internal;
            return { studyId: req.studyId, roundId: req.roundId, attempt: req.attempt, stage: { $case: 'refusal', value: { code, message: (e as Error).message } } };
          }
        },
      } as unknown as AgentSession,
    ]),
  );
  return { session: (id: string) => sessions.get(id) } as unknown as AgentGateway;
}

function plan(roundId: string, chargeKey: string, over: Partial<ComputeStage> = {}): RoundPlan {
  const query: LocalQuery = { kind: 'marginals', attrSets: [['a']] };
  const noise = planDistributedGaussian({ rho: 0.1, l2Sensitivity: 1, parties: 4, colluders: 0, dropouts: 1 });
  return {
    studyId,
    roundId,
    roundIndex: 0,
    participants: PARTIES,
    timeoutMs: 10_000,
    compute: {
      query: Buffer.from(encodeLocalQuery(query, domain)),
      queryChunkCount: 0,
      querySha256: Buffer.alloc(0),
      heKeyEndorsement: undefined,
      rho: 0.1,
      perPartySigma2: noise.perPartySigma2,
      chargeKey,
      label: 'q',
      vectorLength: 6,
      aggregation: 'masking',
      participants: PARTIES,
      threshold: 3,
      modulusBits: 32,
      hePublicKey: Buffer.alloc(0),
      neighbours: 0,
      maxChunkBytes: 0,
      ...over,
    },
  };
}

async function keyOf(): Promise<(der: Uint8Array) => Uint8Array> {
  const sodium = await loadSodium();
  const keys = new Map(PARTIES.map((p) => [p, sodium.crypto_sign_seed_keypair(new Uint8Array(32).fill(p.charCodeAt(0))).publicKey]));
  return (der) => keys.get(dec.decode(der))!;
}

const released = (a: Agent, chargeKey: string): number[] => {
  const r = a.store.release(chargeKey)!;
  return Array.from(decodeIntVector(r.noisy, r.elementBits, 6));
};

describe('retry isolation (a charge key is bound to one round and one signed survivor set)', () => {
  it('planted fault: without survivor binding, re-running the round without X and subtracting yields X\'s vector', async () => {
    const all = await agents('unbound', false);
    const signing = await keyOf();
    const first = await runMaskingRound(gateway(all), plan('retry/r0', 'retry/0/q'), log, signing);
    expect(first.survivors).toEqual(PARTIES);
    // Same round id (an "identical" crash-resume), X silenced after sharing keys: it counts as dropped.
    const second = await runMaskingRound(gateway(all, (p, s) => p === 'X' && s === 'maskedInput'), plan('retry/r0', 'retry/0/q'), log, signing);
    expect(second.survivors).toEqual(['A', 'B', 'C']);
    const diff = Array.from(first.sum, (v, i) => v - second.sum[i]);
    expect(diff).toEqual(released(all[3], 'retry/0/q')); // X's noisy vector, with only its own noise share
    for (const a of all) a.store.close();
  });

  it('with binding, the same attack is refused (SURVIVOR_SET_MISMATCH) before any share is revealed', async () => {
    const all = await agents('bound', true);
    const signing = await keyOf();
    const first = await runMaskingRound(gateway(all), plan('retry/r0', 'retry/0/q'), log, signing);
    expect(first.survivors).toEqual(PARTIES);
    const attack = runMaskingRound(gateway(all, (p, s) => p === 'X' && s === 'maskedInput'), plan('retry/r0', 'retry/0/q'), log, signing);
    await expect(attack).rejects.toMatchObject({ code: ErrorCode.TooFewSurvivors, details: expect.objectContaining({ failedStage: 'consistency' }) });
    const refusals = (await attack.catch((e: FedsynthError) => e.details.refusals)) as { partyId: string; code: string }[];
    expect(refusals.map((r) => `${r.partyId} ${r.code}`).sort()).toEqual(['A SURVIVOR_SET_MISMATCH', 'B SURVIVOR_SET_MISMATCH', 'C SURVIVOR_SET_MISMATCH']);
    // The identical round with the same survivors (a true crash-resume) still completes, with the same sum.
    const resumed = await runMaskingRound(gateway(all), plan('retry/r0', 'retry/0/q'), log, signing);
    expect(Array.from(resumed.sum)).toEqual(Array.from(first.sum));
    for (const a of all) expect(a.charges.size).toBe(1);
    for (const a of all) a.store.close();
  });

  it('a new round id, participant list or threshold for a bound key is refused (ROUND_BINDING_MISMATCH), nothing charged', async () => {
    const all = await agents('rebind', true);
    const signing = await keyOf();
    await runMaskingRound(gateway(all), plan('retry/r0', 'retry/0/q'), log, signing);
    const before = all.map((a) => a.charges.size);
    for (const p of [plan('retry/r0/a1', 'retry/0/q'), plan('retry/r0', 'retry/0/q', { threshold: 4 })]) {
      const attempt = runMaskingRound(gateway(all), p, log, signing);
      const refusals = (await attempt.then(() => [], (e: FedsynthError) => e.details.refusals)) as { code: string }[];
      expect(refusals.map((r) => r.code)).toEqual(PARTIES.map(() => ErrorCode.RoundBindingMismatch));
    }
    const reordered = await all[0].handle({ studyId, roundId: 'retry/r0', roundIndex: 0, attempt: 0, stage: { $case: 'compute', value: computeStageToWire({ ...plan('retry/r0', 'retry/0/q').compute, participants: ['B', 'A', 'C', 'X'] }) } }).catch((e: FedsynthError) => e.code);
    expect(reordered).toBe(ErrorCode.RoundBindingMismatch);
    // A new attempt is a new charge key: accepted, charged once more, fresh noise.
    const fresh = await runMaskingRound(gateway(all), plan('retry/r0/a1', 'retry/0/q/a1'), log, signing);
    expect(fresh.survivors).toEqual(PARTIES);
    expect(all.map((a) => a.charges.size)).toEqual(before.map((n) => n + 1));
    expect(released(all[0], 'retry/0/q/a1')).not.toEqual(released(all[0], 'retry/0/q'));
    for (const a of all) a.store.close();
  });

  it('the binding is durable: a restarted agent (new store handle) still refuses another survivor set', async () => {
    const all = await agents('durable', true);
    const signing = await keyOf();
    await runMaskingRound(gateway(all), plan('retry/r0', 'retry/0/q'), log, signing);
    for (const a of all) a.store.close();
    const again = await agents('durable', true); // same files, fresh processes' state
    const attack = runMaskingRound(gateway(again, (p, s) => p === 'X' && s === 'maskedInput'), plan('retry/r0', 'retry/0/q'), log, signing);
    await expect(attack).rejects.toMatchObject({ code: ErrorCode.TooFewSurvivors });
    for (const a of again) a.store.close();
  });
});
