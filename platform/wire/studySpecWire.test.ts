// Tests of studySpecWire: the wire <-> domain StudySpec conversion is lossless for every valid spec
// and refuses UNSPECIFIED or unknown enums naming the field. (Planted fault: mapping 'he' to
// MASKING in aggregationToWire fails the round trip.)
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { errorCodeOf } from '../../test/support/errorCodeOf.js';
import { Aggregation, Mechanism, StudySpec } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { studySpecFromJsonText, studySpecFromWire, studySpecToJson, studySpecToWire } from './studySpecWire.js';

const wire = (mechanism: Mechanism, aggregation: Aggregation): StudySpec =>
  StudySpec.fromPartial({
    studyId: 's1', title: 't', mechanism, epsilon: 1, delta: 1e-9, rho: 0.015, columns: ['a', 'b'],
    domain: [{ name: 'a', size: 2 }, { name: 'b', size: 3 }], aggregation, minParties: 2, colluders: 1, dropouts: 1,
    syntheticRows: 100, domainHash: 'sha256:x', maxSilosPerIndividual: 2, targetColumn: 'b', schemaJson: '', neighbours: 4,
  });

describe('studySpecWire', () => {
  it('round-trips every mechanism and aggregation mode, bytes and stored JSON unchanged', () => {
    for (const m of [Mechanism.MECHANISM_MST, Mechanism.MECHANISM_AIM]) {
      for (const a of [Aggregation.AGGREGATION_PLAIN, Aggregation.AGGREGATION_MASKING, Aggregation.AGGREGATION_HE]) {
        const w = wire(m, a);
        const d = studySpecFromWire(w);
        expect(Buffer.from(StudySpec.encode(studySpecToWire(d)).finish())).toEqual(Buffer.from(StudySpec.encode(w).finish()));
        expect(studySpecToJson(d)).toEqual(StudySpec.toJSON(w));
        expect(studySpecFromJsonText(JSON.stringify(studySpecToJson(d)))).toEqual(d);
      }
    }
    expect(studySpecFromWire(wire(Mechanism.MECHANISM_AIM, Aggregation.AGGREGATION_HE))).toMatchObject({ mechanism: 'aim', aggregation: 'he' });
  });

  it('refuses UNSPECIFIED and unknown enum values, naming the field', async () => {
    expect(await errorCodeOf(Promise.resolve().then(() => studySpecFromWire(wire(Mechanism.MECHANISM_UNSPECIFIED, Aggregation.AGGREGATION_PLAIN))))).toBe(ErrorCode.InvalidArgument);
    expect(() => studySpecFromWire(wire(Mechanism.MECHANISM_MST, Aggregation.AGGREGATION_UNSPECIFIED))).toThrow(/spec\.aggregation/);
    expect(() => studySpecFromWire(wire(Mechanism.MECHANISM_MST, 9 as Aggregation))).toThrow(/spec\.aggregation/);
  });

  it('carries a dpsgd study\'s training terms, and refuses them missing or on another mechanism', () => {
    const training = { rounds: 7, sampleRate: 0.03, clipNorm: 0.5, hidden: [32, 16], latent: 4, learningRate: 0.002, offsetSigma: 0.1 };
    const w = { ...wire(Mechanism.MECHANISM_DPSGD, Aggregation.AGGREGATION_MASKING), training };
    const d = studySpecFromWire(w);
    expect(d).toMatchObject({ mechanism: 'dpsgd', training });
    expect(Buffer.from(StudySpec.encode(studySpecToWire(d)).finish())).toEqual(Buffer.from(StudySpec.encode(w).finish()));
    expect(studySpecFromJsonText(JSON.stringify(studySpecToJson(d)))).toEqual(d);
    expect(() => studySpecFromWire(wire(Mechanism.MECHANISM_DPSGD, Aggregation.AGGREGATION_MASKING))).toThrow(/spec\.training/);
    expect(() => studySpecFromWire({ ...wire(Mechanism.MECHANISM_MST, Aggregation.AGGREGATION_MASKING), training })).toThrow(/spec\.training/);
  });
});
