// Tests of HeParticipant's chunk hand-out: chunk 0 answers the compute stage, later chunks are
// served once on request, the agent's own cap applies, unknown rounds and chunks are refused.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { HeCustodian } from '../../shared/he/HeCustodian.js';
import { makeIdentities } from '../../shared/secagg/simulateSecAggRound.js';
import { encodeIntVector } from '../../shared/wire/intVectorCodec.js';
import { heParamsOfRound } from '../../platform/wire/heWire.js';
import { Aggregation, ComputeStage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { HeParticipant } from './HeParticipant.js';

const fails = (code: string) => expect.objectContaining({ code });

describe('HeParticipant chunks', () => {
  it('serves chunks 1..count-1 once each, after chunk 0 in the compute reply', async () => {
    const { params } = heParamsOfRound(32);
    const custodian = await HeCustodian.create(params, 1);
    const ids = await makeIdentities(['p1'], 'he-participant-test');
    const m = 2 * params.polyModulusDegree + 1; // 3 ciphertexts
    const compute = ComputeStage.fromPartial({ vectorLength: m, aggregation: Aggregation.AGGREGATION_HE, modulusBits: 32, hePublicKey: Buffer.from(custodian.publicKey()), maxChunkBytes: 0 });
    const enc = encodeIntVector(Float64Array.from({ length: m }, (_, i) => (i % 11) - 5));
    // The coordinator allows 4 MiB, but this agent caps chunks at 1 byte: one ciphertext per chunk.
    const participant = new HeParticipant({ partyId: 'p1', signingSecretKey: ids.get('p1')!.privateKey }, 1);
    try {
      const first = await participant.contribute('r1', compute, { noisy: enc.bytes, elementBits: enc.elementBits });
      if (first.$case !== 'heCiphertexts') throw new Error(first.$case);
      expect(first.value).toMatchObject({ chunkIndex: 0, chunkCount: 3, ciphertextCount: 3 });
      expect(first.value.signature.byteLength).toBe(64);
      const second = participant.chunk('r1', { chunkIndex: 1 });
      expect(second.$case === 'heCiphertexts' && second.value.signature.byteLength).toBe(0);
      expect(() => participant.chunk('r1', { chunkIndex: 3 })).toThrow(fails(ErrorCode.ProtocolViolation));
      expect(() => participant.chunk('other', { chunkIndex: 1 })).toThrow(fails(ErrorCode.OutOfStep));
      const last = participant.chunk('r1', { chunkIndex: 2 });
      expect(last.$case === 'heCiphertexts' && last.value.chunkIndex).toBe(2);
      // After its last chunk the round is forgotten.
      expect(() => participant.chunk('r1', { chunkIndex: 1 })).toThrow(fails(ErrorCode.OutOfStep));
    } finally {
      participant.dispose();
    }
  });
});
