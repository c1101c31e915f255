// Tests of MaskingParticipant's check of relayed certificates: a peer's signing key is taken only
// from a certificate of role `party` naming that peer (a coordinator or custodian certificate relayed
// under a participant's name is refused before its keys are used); of stages of another attempt; and
// of rounds of two studies under the same round id (state kept per study + round, never mixed).
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { makeIdentities } from '../../shared/secagg/simulateSecAggRound.js';
import { SecAggServer } from '../../shared/secagg/SecAggServer.js';
import { sumToBigInts, type SignedSum } from '../../shared/secagg/ModularVector.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { encodeIntVector } from '../../shared/wire/intVectorCodec.js';
import { computeRoundConfig } from '../../shared/wire/computeRoundConfig.js';
import { replyFromWire, requestToWire } from '../../platform/wire/secaggWire.js';
import { RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { computeStage } from '../../test/support/computeStage.js';
import { MaskingParticipant } from './MaskingParticipant.js';

const PARTIES = ['p1', 'p2', 'p3'];
const SEED = 'masking-participant-test';

/** Participant `partyId` whose "CA" maps a certificate (the holder's name as bytes) to `roles[name]`. */
async function participant(roles: Record<string, string>, partyId = 'p1'): Promise<MaskingParticipant> {
  const ids = await makeIdentities(PARTIES, SEED);
  return new MaskingParticipant(
    {
      partyId,
      signingSecretKey: ids.get(partyId)!.privateKey,
      certificate: Buffer.from(partyId),
      verifyPeer: (der) => {
        const name = Buffer.from(der).toString('utf8');
        return { partyId: name, role: roles[name] ?? 'party', signingPublicKeyRaw: ids.get(name)?.publicKey ?? new Uint8Array(32) };
      },
    },
    seededRandomSource(SEED, `rng/${partyId}`),
  );
}

async function shareKeysWithCertificateOf(m: MaskingParticipant, holder: string): Promise<unknown> {
  const compute = computeStage({ vectorLength: 2, aggregation: 'masking', participants: ['p1', 'p2', 'p3'], threshold: 3, modulusBits: 32 });
  const enc = encodeIntVector(Float64Array.from([1, 2]));
  await m.begin({ studyId: 's1', roundId: 'r1', attempt: 0 }, compute, { noisy: enc.bytes, elementBits: enc.elementBits });
  const keys = { partyId: 'p2', cipherPublicKey: Buffer.alloc(32), maskPublicKey: Buffer.alloc(32), seedCommitment: Buffer.alloc(32), signature: Buffer.alloc(64), certificate: Buffer.from(holder) };
  return m.handle(RoundRequest.fromPartial({ studyId: 's1', roundId: 'r1', stage: { $case: 'shareKeys', value: { keys: [keys] } } })).then(
    () => 'accepted',
    (e: unknown) => e,
  );
}

describe('MaskingParticipant relayed certificates', () => {
  it('refuses a coordinator or custodian certificate relayed as participant p2 (BAD_SIGNATURE, naming the role)', async () => {
    for (const role of ['coordinator', 'custodian', 'operator']) {
      const e = await shareKeysWithCertificateOf(await participant({ p2: role }), 'p2');
      expect(e, role).toMatchObject({ code: ErrorCode.BadSignature, message: `relayed certificate for p2 belongs to ${role} p2` });
    }
    // Another party's certificate under p2's name: refused as before.
    expect(await shareKeysWithCertificateOf(await participant({}), 'p3')).toMatchObject({ code: ErrorCode.BadSignature, message: 'relayed certificate for p2 belongs to party p3' });
  });

  it("a party certificate for p2 passes the certificate check (then the keys' own signature is checked)", async () => {
    const e = await shareKeysWithCertificateOf(await participant({}), 'p2');
    expect((e as Error).message).not.toMatch(/relayed certificate/);
  });
});

describe('MaskingParticipant attempts', () => {
  it('a stage of another attempt than the one begun is OUT_OF_STEP and leaves the round in progress', async () => {
    const m = await participant({});
    const compute = computeStage({ vectorLength: 2, aggregation: 'masking', participants: ['p1', 'p2', 'p3'], threshold: 3, modulusBits: 32 });
    const enc = encodeIntVector(Float64Array.from([1, 2]));
    await m.begin({ studyId: 's1', roundId: 'r1', attempt: 2 }, compute, { noisy: enc.bytes, elementBits: enc.elementBits }, { colluders: 0 });
    const shareKeys = (attempt: number) => m.handle(RoundRequest.fromPartial({ studyId: 's1', roundId: 'r1', attempt, stage: { $case: 'shareKeys', value: { keys: [] } } })).then(() => 'accepted', (e: { code: string; message: string }) => e);
    expect(await shareKeys(1)).toMatchObject({ code: ErrorCode.OutOfStep, message: 'round r1 of study s1 is at attempt 2 at this party, not 1' });
    // Still in progress: attempt 2's own stage reaches the round (and is judged on its content).
    expect(await shareKeys(2)).toMatchObject({ code: ErrorCode.ProtocolViolation });
    expect(await shareKeys(2)).toMatchObject({ code: ErrorCode.OutOfStep, message: 'no secure-aggregation round r1 of study s1 in progress at this party' });
  });
});

type RequestStage = NonNullable<RoundRequest['stage']>;

/**
 * The coordinator's side of round `r1` of `studyId` (a SecAggServer relayed through the wire codecs,
 * as coordinator/rounds/MaskingRound does) over participants p1..p3 contributing `inputs`.
 */
async function studyRound(studyId: string, parties: ReadonlyMap<string, MaskingParticipant>, inputs: readonly number[][]) {
  const compute = computeStage({ vectorLength: 2, aggregation: 'masking', participants: PARTIES, threshold: 3, modulusBits: 32, chargeKey: `${studyId}/r1` });
  const ids = await makeIdentities(PARTIES, SEED);
  const server = await SecAggServer.create(computeRoundConfig('r1', compute), (id) => ids.get(id)?.publicKey);
  server.begin();
  return {
    /** Round 0: every party begins r1 of this study with its input; its signed keys reach the server. */
    async begin(): Promise<void> {
      for (const [i, p] of PARTIES.entries()) {
        const enc = encodeIntVector(Float64Array.from(inputs[i]));
        const reply = await parties.get(p)!.begin({ studyId, roundId: 'r1', attempt: 0 }, compute, { noisy: enc.bytes, elementBits: enc.elementBits });
        server.receive(replyFromWire('r1', p, reply).reply);
      }
    },
    /** Closes the stage: the next stage's requests by party (wire form), or the round's sum. */
    async next(): Promise<Map<string, RequestStage> | SignedSum> {
      const outcome = await server.close();
      if (outcome.kind === 'sum') return outcome.sum;
      return new Map([...outcome.requests].map(([to, req]) => [to, requestToWire(req, (id) => Buffer.from(id))]));
    },
    /** Sends `stage` to `to` as a request of `asStudy` (default: this study); its reply reaches this study's server. */
    async ask(to: string, stage: RequestStage, asStudy = studyId): Promise<void> {
      const reply = await parties.get(to)!.handle(RoundRequest.fromPartial({ studyId: asStudy, roundId: 'r1', attempt: 0, stage }));
      server.receive(replyFromWire('r1', to, reply).reply);
    },
  };
}

type StudyRound = Awaited<ReturnType<typeof studyRound>>;

/** Runs one stage of `round`: true once its sum is out (then `sums` holds it). */
async function step(round: StudyRound, sums: Map<StudyRound, number[]>): Promise<boolean> {
  const next = await round.next();
  if (!(next instanceof Map)) {
    sums.set(round, sumToBigInts(next).map(Number));
    return true;
  }
  for (const [to, stage] of next) await round.ask(to, stage);
  return false;
}

async function threeParties(): Promise<Map<string, MaskingParticipant>> {
  return new Map(await Promise.all(PARTIES.map(async (p) => [p, await participant({}, p)] as const)));
}

describe('MaskingParticipant studies', () => {
  const s1Inputs = [[1, 2], [3, 4], [5, 6]];
  const s2Inputs = [[100, -7], [200, -8], [300, -9]];

  it('the same round id in two studies: both begun at every party, stages interleaved, each round sums its own inputs', async () => {
    const parties = await threeParties();
    const s1 = await studyRound('s1', parties, s1Inputs);
    const s2 = await studyRound('s2', parties, s2Inputs);
    await s1.begin();
    await s2.begin(); // keyed by round id alone, this replaces s1's keys and input at every party
    const sums = new Map<StudyRound, number[]>();
    let done1 = false;
    let done2 = false;
    while (!done1 || !done2) {
      if (!done1) done1 = await step(s1, sums);
      if (!done2) done2 = await step(s2, sums);
    }
    expect(sums.get(s1)).toEqual([9, 12]);
    expect(sums.get(s2)).toEqual([600, -24]);
  });

  it("a stage of study s2 under s1's round id does not reach s1's keys or shares (OUT_OF_STEP), and s1's round still completes", async () => {
    const parties = await threeParties();
    const s1 = await studyRound('s1', parties, s1Inputs);
    await s1.begin();
    const sums = new Map<StudyRound, number[]>();
    // shareKeys: the parties take s1's relayed keys and send their encrypted shares.
    expect(await step(s1, sums)).toBe(false);
    const maskedInput = await s1.next();
    if (!(maskedInput instanceof Map)) throw new Error('expected the maskedInput requests');
    // s1's maskedInput request (its peers' shares) replayed as a request of study s2 with the same round id.
    for (const [to, stage] of maskedInput) {
      await expect(s1.ask(to, stage, 's2'), to).rejects.toMatchObject({ code: ErrorCode.OutOfStep, message: 'no secure-aggregation round r1 of study s2 in progress at this party' });
    }
    // s1's round is untouched: its own requests go through and it sums its own inputs.
    for (const [to, stage] of maskedInput) await s1.ask(to, stage);
    while (!(await step(s1, sums)));
    expect(sums.get(s1)).toEqual([9, 12]);
  });
});
