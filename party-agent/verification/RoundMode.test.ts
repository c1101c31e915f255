// RoundMode: a round's mode is the approved study's, or one the policy names for that study;
// plain only while the policy allows plain aggregation.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { Aggregation } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { roundModesFor, verifyRoundMode } from './RoundMode.js';

const code = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe('RoundMode', () => {
  it('accepts only the approved mode by default', () => {
    const study = { studyId: 's', aggregation: 'masking' as const, roundModes: roundModesFor('s', 'masking', { allowPlainAggregation: true }) };
    expect(code(() => verifyRoundMode(study, { aggregation: Aggregation.AGGREGATION_MASKING }))).toBeUndefined();
    for (const a of [Aggregation.AGGREGATION_PLAIN, Aggregation.AGGREGATION_HE, Aggregation.AGGREGATION_UNSPECIFIED]) {
      expect(code(() => verifyRoundMode(study, { aggregation: a }))).toBe(ErrorCode.AggregationModeMismatch);
    }
  });

  it('extraRoundModes names modes per study; plain still needs allowPlainAggregation', () => {
    const extraRoundModes = { s: ['plain', 'he'] as const };
    expect(roundModesFor('s', 'masking', { allowPlainAggregation: true, extraRoundModes })).toEqual(['masking', 'plain', 'he']);
    expect(roundModesFor('s', 'masking', { allowPlainAggregation: false, extraRoundModes })).toEqual(['masking', 'he']);
    expect(roundModesFor('other', 'masking', { allowPlainAggregation: true, extraRoundModes })).toEqual(['masking']);
    const study = { studyId: 's', aggregation: 'masking' as const, roundModes: roundModesFor('s', 'masking', { allowPlainAggregation: false, extraRoundModes }) };
    expect(code(() => verifyRoundMode(study, { aggregation: Aggregation.AGGREGATION_HE }))).toBeUndefined();
    expect(code(() => verifyRoundMode(study, { aggregation: Aggregation.AGGREGATION_PLAIN }))).toBe(ErrorCode.AggregationModeMismatch);
  });
});
