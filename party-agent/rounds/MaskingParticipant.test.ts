// Tests of MaskingParticipant's check of relayed certificates: a peer's signing key is taken only
// from a certificate of role `party` naming that peer (a coordinator or custodian certificate relayed
// under a participant's name is refused before its keys are used); and of stages of another attempt.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { makeIdentities } from '../../shared/secagg/simulateSecAggRound.js';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { encodeIntVector } from '../../shared/wire/intVectorCodec.js';
import { RoundRequest } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { computeStage } from '../../test/support/computeStage.js';
import { MaskingParticipant } from './MaskingParticipant.js';

/** A participant whose "CA" maps a certificate (the holder's name as bytes) to `roles[name]`. */
async function participant(roles: Record<string, string>): Promise<MaskingParticipant> {
  const ids = await makeIdentities(['p1', 'p2', 'p3'], 'masking-participant-test');
  return new MaskingParticipant(
    {
      partyId: 'p1',
      signingSecretKey: ids.get('p1')!.privateKey,
      certificate: Buffer.from('p1'),
      verifyPeer: (der) => {
        const name = Buffer.from(der).toString('utf8');
        return { partyId: name, role: roles[name] ?? 'party', signingPublicKeyRaw: ids.get(name)?.publicKey ?? new Uint8Array(32) };
      },
    },
    seededRandomSource('masking-participant-test', 'rng'),
  );
}

async function shareKeysWithCertificateOf(m: MaskingParticipant, holder: string): Promise<unknown> {
  const compute = computeStage({ vectorLength: 2, aggregation: 'masking', participants: ['p1', 'p2', 'p3'], threshold: 3, modulusBits: 32 });
  const enc = encodeIntVector(Float64Array.from([1, 2]));
  await m.begin('r1', compute, { noisy: enc.bytes, elementBits: enc.elementBits });
  const keys = { partyId: 'p2', cipherPublicKey: Buffer.alloc(32), maskPublicKey: Buffer.alloc(32), seedCommitment: Buffer.alloc(32), signature: Buffer.alloc(64), certificate: Buffer.from(holder) };
  return m.handle(RoundRequest.fromPartial({ roundId: 'r1', stage: { $case: 'shareKeys', value: { keys: [keys] } } })).then(
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
    await m.begin('r1', compute, { noisy: enc.bytes, elementBits: enc.elementBits }, { colluders: 0 }, 2);
    const shareKeys = (attempt: number) => m.handle(RoundRequest.fromPartial({ roundId: 'r1', attempt, stage: { $case: 'shareKeys', value: { keys: [] } } })).then(() => 'accepted', (e: { code: string; message: string }) => e);
    expect(await shareKeys(1)).toMatchObject({ code: ErrorCode.OutOfStep, message: 'round r1 is at attempt 2 at this party, not 1' });
    // Still in progress: attempt 2's own stage reaches the round (and is judged on its content).
    expect(await shareKeys(2)).toMatchObject({ code: ErrorCode.ProtocolViolation });
    expect(await shareKeys(2)).toMatchObject({ code: ErrorCode.OutOfStep, message: 'no secure-aggregation round r1 in progress at this party' });
  });
});
