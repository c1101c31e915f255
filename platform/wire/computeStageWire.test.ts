// Tests of computeStageWire: the wire <-> domain ComputeStage conversion is lossless (bytes equal)
// and refuses an UNSPECIFIED or unknown aggregation naming compute.aggregation. (Planted fault:
// heKeyEndorsement dropped in computeStageToWire fails the round trip.)
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { Aggregation, ComputeStage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { computeStageFromWire, computeStageToWire } from './computeStageWire.js';

const wire = (aggregation: Aggregation, endorsed: boolean): ComputeStage =>
  ComputeStage.fromPartial({
    rho: 0.01, perPartySigma2: 12.5, chargeKey: 's/0/m', label: 'm', vectorLength: 6, aggregation, participants: ['p1', 'p2', 'p3'],
    threshold: 2, modulusBits: 32, hePublicKey: Buffer.from([1, 2, 3]), neighbours: 2, maxChunkBytes: 4096, query: Buffer.from([9, 8]),
    queryChunkCount: 1, querySha256: Buffer.alloc(32, 7),
    ...(endorsed ? { heKeyEndorsement: { keyId: 'k', minContributors: 2, signature: Buffer.from([4]), custodianCertificate: Buffer.from([5, 6]) } } : {}),
  });

describe('computeStageWire', () => {
  it('round-trips every aggregation mode, with and without an HE key endorsement, bytes unchanged', () => {
    for (const a of [Aggregation.AGGREGATION_PLAIN, Aggregation.AGGREGATION_MASKING, Aggregation.AGGREGATION_HE]) {
      for (const endorsed of [false, true]) {
        const w = wire(a, endorsed);
        const d = computeStageFromWire(w);
        expect(Buffer.from(ComputeStage.encode(computeStageToWire(d)).finish())).toEqual(Buffer.from(ComputeStage.encode(w).finish()));
      }
    }
    expect(computeStageFromWire(wire(Aggregation.AGGREGATION_HE, true))).toMatchObject({ aggregation: 'he', heKeyEndorsement: { keyId: 'k' } });
  });

  it('refuses an UNSPECIFIED or unknown aggregation, naming compute.aggregation (PROTOCOL_VIOLATION: it came from a peer)', () => {
    expect(() => computeStageFromWire(wire(Aggregation.AGGREGATION_UNSPECIFIED, false))).toThrow(/compute\.aggregation/);
    expect(() => computeStageFromWire(wire(7 as Aggregation, false))).toThrow(/compute\.aggregation/);
    for (const a of [Aggregation.AGGREGATION_UNSPECIFIED, 7 as Aggregation]) {
      expect(() => computeStageFromWire(wire(a, false))).toThrow(
        expect.objectContaining({ code: ErrorCode.ProtocolViolation, details: expect.objectContaining({ field: 'compute.aggregation' }) }),
      );
    }
  });
});
