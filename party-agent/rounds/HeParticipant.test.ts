// Tests of HeParticipant: the custodian's key endorsement is verified before anything is encrypted
// (each forgery refused); chunk 0 answers the compute stage, later chunks are served once on request,
// only to the attempt of the round of the study that encrypted them.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { HeCustodian } from '../../shared/he/HeCustodian.js';
import { makeIdentities } from '../../shared/secagg/simulateSecAggRound.js';
import { encodeIntVector } from '../../shared/wire/intVectorCodec.js';
import { heParamsOfRound } from '../../platform/wire/heWire.js';
import type { ComputeStage } from '../../shared/study/ComputeStage.js';
import { computeStage } from '../../test/support/computeStage.js';
import { signHeKey } from '../../shared/he/heKeyEndorsement.js';
import { HeAggregator } from '../../shared/he/HeAggregator.js';
import { HeChunkAssembler } from '../../shared/he/HeChunkAssembler.js';
import { chunkFromWire } from '../../platform/wire/heWire.js';
import type { RoundReply } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { HeParticipant } from './HeParticipant.js';
import type { CertificateVerifier } from '../verification/HeKeyVerification.js';

const fails = (code: string) => expect.objectContaining({ code });

/**
 * Test PKI: a "certificate" is the holder's name; the verifier knows custodian `cust`, party `p1`
 * (both with signing keys) and refuses anything else as if it came from another CA.
 */
async function testPki(): Promise<{ verify: CertificateVerifier; keys: Map<string, { publicKey: Uint8Array; privateKey: Uint8Array }> }> {
  const keys = await makeIdentities(['cust', 'p1'], 'he-participant-test');
  const roles: Record<string, string> = { cust: 'custodian', p1: 'party' };
  const verify: CertificateVerifier = (der) => {
    const name = Buffer.from(der).toString('utf8');
    const k = keys.get(name);
    if (!k) throw Object.assign(new Error('peer certificate is not issued by the consortium CA'), { code: ErrorCode.Unauthenticated });
    return { partyId: name, role: roles[name], signingPublicKeyRaw: k.publicKey };
  };
  return { verify, keys };
}

/** A compute stage whose key is endorsed by `signer` for `studyId` (`cust` = the real custodian). */
async function endorsed(compute: ComputeStage, studyId: string, signer: string, keys: Map<string, { privateKey: Uint8Array }>, signedKey = compute.hePublicKey, specHash = APPROVED): Promise<ComputeStage> {
  const { params } = heParamsOfRound(compute.modulusBits);
  const signature = await signHeKey({ studyId, keyId: 'k1', params, minContributors: 2, publicKey: signedKey, specHash }, keys.get(signer)!.privateKey);
  return { ...compute, heKeyEndorsement: { keyId: 'k1', minContributors: 2, signature: Buffer.from(signature), custodianCertificate: Buffer.from(signer), specHash } };
}

/** The spec hash of the study version the party approved (what the custodian must have signed). */
const APPROVED = 'sha256:approved';

describe('HeParticipant key endorsement (issue 16, finding 4)', () => {
  it('encrypts only under a key the consortium custodian signed for this study; every forgery is HE_KEY_UNAUTHENTICATED', async () => {
    const { params } = heParamsOfRound(32);
    const real = await HeCustodian.create(params, 1);
    const coordinatorsOwn = await HeCustodian.create(params, 1);
    const { verify, keys } = await testPki();
    const base = computeStage({ vectorLength: 4, aggregation: 'he', modulusBits: 32, hePublicKey: Buffer.from(real.publicKey()) });
    const enc = encodeIntVector(Float64Array.from([1, -2, 3, 4]));
    const noisy = { noisy: enc.bytes, elementBits: enc.elementBits };
    const participant = new HeParticipant({ partyId: 'p1', signingSecretKey: keys.get('p1')!.privateKey, verifyPeer: verify });
    try {
      const good = await endorsed(base, 's1', 'cust', keys);
      const approved = { specHash: APPROVED, dropouts: 0 };
      expect(await participant.authenticateKey('s1', good, approved)).toEqual({ custodianId: 'cust', keyId: 'k1', minContributors: 2, specHash: APPROVED });
      expect((await participant.contribute({ studyId: 's1', roundId: 'r1', attempt: 1 }, good, noisy)).$case).toBe('heCiphertexts');
      const swapped = { ...good, hePublicKey: Buffer.from(coordinatorsOwn.publicKey()) };
      const forgeries: [string, ComputeStage, string][] = [
        ['no endorsement', base, 'study-a'],
        ["the coordinator's own key under the custodian's signature", swapped, 's1'],
        ["the coordinator's own key signed by a party", await endorsed(swapped, 's1', 'p1', keys), 's1'],
        ['a certificate from another CA', { ...good, heKeyEndorsement: { ...good.heKeyEndorsement!, custodianCertificate: Buffer.from('mallory') } }, 's1'],
        ["the custodian's key of another study", good, 's2'],
        ['a changed t', { ...good, heKeyEndorsement: { ...good.heKeyEndorsement!, minContributors: 1 } }, 's1'],
        ['a changed spec hash', { ...good, heKeyEndorsement: { ...good.heKeyEndorsement!, specHash: 'sha256:other' } }, 's1'],
        // Signed by the custodian, but for a version of the study this party never approved (it derived t from that one).
        ['a key made for another version of the study', await endorsed(base, 's1', 'cust', keys, base.hePublicKey, 'sha256:other'), 's1'],
      ];
      for (const [what, compute, studyId] of forgeries) {
        await expect(participant.authenticateKey(studyId, compute, approved), what).rejects.toThrow(fails(ErrorCode.HeKeyUnauthenticated));
        // contribute() checks too: no caller can encrypt under an unverified key.
        await expect(participant.contribute({ studyId, roundId: 'r2', attempt: 1 }, compute, noisy, approved), what).rejects.toThrow(fails(ErrorCode.HeKeyUnauthenticated));
      }
      // A genuine key whose signed t (2) is below this round's n - d (4 - 0): the custodian would
      // decrypt sums with fewer honest shares than the plan; refused on every round, cached or not.
      const fourParties = { ...good, participants: ['p1', 'p2', 'p3', 'p4'] };
      for (let i = 0; i < 2; i++) {
        await expect(participant.authenticateKey('s1', fourParties, approved)).rejects.toThrow(fails(ErrorCode.ThresholdBelowPlan));
      }
      expect((await participant.authenticateKey('s1', fourParties, { specHash: APPROVED, dropouts: 2 })).minContributors).toBe(2);
    } finally {
      participant.dispose();
      real.dispose();
      coordinatorsOwn.dispose();
    }
  });
});

describe('HeParticipant chunks', () => {
  it('serves chunks 1..count-1 once each, after chunk 0 in the compute reply', async () => {
    const { params } = heParamsOfRound(32);
    const custodian = await HeCustodian.create(params, 1);
    const { verify, keys } = await testPki();
    const m = 2 * params.polyModulusDegree + 1; // 3 ciphertexts
    const base = computeStage({ vectorLength: m, aggregation: 'he', modulusBits: 32, hePublicKey: Buffer.from(custodian.publicKey()), maxChunkBytes: 0 });
    const compute = await endorsed(base, 's1', 'cust', keys);
    const enc = encodeIntVector(Float64Array.from({ length: m }, (_, i) => (i % 11) - 5));
    // The coordinator allows 4 MiB, but this agent caps chunks at 1 byte: one ciphertext per chunk.
    const participant = new HeParticipant({ partyId: 'p1', signingSecretKey: keys.get('p1')!.privateKey, verifyPeer: verify }, 1);
    try {
      const r1 = { studyId: 's1', roundId: 'r1', attempt: 1 };
      const first = await participant.contribute(r1, compute, { noisy: enc.bytes, elementBits: enc.elementBits });
      if (first.$case !== 'heCiphertexts') throw new Error(first.$case);
      expect(first.value).toMatchObject({ chunkIndex: 0, chunkCount: 3, ciphertextCount: 3 });
      expect(first.value.signature.byteLength).toBe(64);
      const second = participant.chunk(r1, { chunkIndex: 1 });
      expect(second.$case === 'heCiphertexts' && second.value.signature.byteLength).toBe(0);
      expect(() => participant.chunk(r1, { chunkIndex: 3 })).toThrow(fails(ErrorCode.ProtocolViolation));
      expect(() => participant.chunk({ ...r1, roundId: 'other' }, { chunkIndex: 1 })).toThrow(fails(ErrorCode.OutOfStep));
      const last = participant.chunk(r1, { chunkIndex: 2 });
      expect(last.$case === 'heCiphertexts' && last.value.chunkIndex).toBe(2);
      // After its last chunk the round is forgotten.
      expect(() => participant.chunk(r1, { chunkIndex: 1 })).toThrow(fails(ErrorCode.OutOfStep));
    } finally {
      participant.dispose();
    }
  });
});

describe('HeParticipant chunks are kept per study, round and attempt (retried rounds)', () => {
  it('serves a chunk request only from the encryption of its own attempt and study; another attempt is OUT_OF_STEP and leaves the chunks as they are', async () => {
    const { params } = heParamsOfRound(32);
    const custodian = await HeCustodian.create(params, 1);
    const { verify, keys } = await testPki();
    const m = 2 * params.polyModulusDegree + 1; // 3 ciphertexts, one per chunk (agent cap 1 byte)
    const base = computeStage({ vectorLength: m, aggregation: 'he', modulusBits: 32, hePublicKey: Buffer.from(custodian.publicKey()), maxChunkBytes: 0 });
    const byStudy = { s1: await endorsed(base, 's1', 'cust', keys), s2: await endorsed(base, 's2', 'cust', keys) };
    const vector = (shift: number) => Float64Array.from({ length: m }, (_, i) => ((i * 7 + shift) % 23) - 11);
    const noisy = (v: Float64Array) => {
      const enc = encodeIntVector(v);
      return { noisy: enc.bytes, elementBits: enc.elementBits };
    };
    const participant = new HeParticipant({ partyId: 'p1', signingSecretKey: keys.get('p1')!.privateKey, verifyPeer: verify }, 1);
    let opened = 0;
    /** What the coordinator would reassemble from chunk 0 and the chunks pulled after it: signature checked, then decrypted. */
    const open = async (roundId: string, replies: RoundReply['stage'][]): Promise<number[]> => {
      const assembler = new HeChunkAssembler(roundId, 'p1', m, 3, 1 << 30);
      for (const r of replies) {
        if (r?.$case !== 'heCiphertexts') throw new Error(`expected he_ciphertexts, got ${r?.$case}`);
        assembler.add(chunkFromWire(r.value));
      }
      const aggregator = await HeAggregator.create(params, roundId, ['p1'], m, (id) => keys.get(id)?.publicKey);
      try {
        aggregator.add(assembler.contribution()); // BadSignature if chunks of two encryptions were mixed
        return [...custodian.decrypt({ ...aggregator.result(), roundId: `opened-${opened++}` })].map(Number);
      } finally {
        aggregator.dispose();
      }
    };
    try {
      const a1 = { studyId: 's1', roundId: 's1/r0', attempt: 1 };
      const a2 = { ...a1, attempt: 2 };
      // Attempt 1 answered chunk 0 and 1, then the coordinator gave up on it; attempt 2 re-encrypts
      // the SAME recorded vector (ComputeHandler re-sends it) with fresh randomness.
      const v = vector(0);
      const first1 = await participant.contribute(a1, byStudy.s1, noisy(v));
      participant.chunk(a1, { chunkIndex: 1 });
      const first2 = await participant.contribute(a2, byStudy.s1, noisy(v));
      // A late chunk request of attempt 1 is refused, not served from attempt 2's ciphertexts...
      expect(() => participant.chunk(a1, { chunkIndex: 2 })).toThrow(fails(ErrorCode.OutOfStep));
      // ...and an attempt 1 that (re)encrypts after attempt 2 did is refused before it replaces them.
      await expect(participant.contribute(a1, byStudy.s1, noisy(v))).rejects.toThrow(fails(ErrorCode.OutOfStep));
      // A request naming no attempt (0) is not attempt 2's either.
      expect(() => participant.chunk({ ...a1, attempt: 0 }, { chunkIndex: 1 })).toThrow(fails(ErrorCode.OutOfStep));
      // Attempt 2's chunks are all still there and belong to attempt 2's encryption.
      const pulled2 = [participant.chunk(a2, { chunkIndex: 1 }), participant.chunk(a2, { chunkIndex: 2 })];
      expect(await open(a1.roundId, [first2, ...pulled2])).toEqual([...v]);
      // Chunk 0 of attempt 1 with chunks of attempt 2 is not a contribution (two encryptions).
      await expect(open(a1.roundId, [first1, ...pulled2])).rejects.toThrow(fails(ErrorCode.BadSignature));

      // The same round id in two studies: each study's chunk requests get that study's ciphertexts.
      const same = 'r0';
      const s1 = { studyId: 's1', roundId: same, attempt: 1 };
      const s2 = { studyId: 's2', roundId: same, attempt: 1 };
      const [v1, v2] = [vector(3), vector(5)];
      const c1 = await participant.contribute(s1, byStudy.s1, noisy(v1));
      const c2 = await participant.contribute(s2, byStudy.s2, noisy(v2));
      expect(await open(same, [c2, participant.chunk(s2, { chunkIndex: 1 }), participant.chunk(s2, { chunkIndex: 2 })])).toEqual([...v2]);
      expect(() => participant.chunk({ ...s2, studyId: 's3' }, { chunkIndex: 1 })).toThrow(fails(ErrorCode.OutOfStep));
      expect(await open(same, [c1, participant.chunk(s1, { chunkIndex: 1 }), participant.chunk(s1, { chunkIndex: 2 })])).toEqual([...v1]);
    } finally {
      participant.dispose();
      custodian.dispose();
    }
  });
});
