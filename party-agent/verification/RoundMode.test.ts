// RoundMode: a round's mode is the approved study's, or one the policy names for that study;
// plain only while the policy allows plain aggregation. (An UNSPECIFIED wire mode is refused before,
// where the stage is read: platform/wire/computeStageWire.test.ts, test/agent-noise.test.ts.)
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import type { AggregationMode } from '../../shared/study/StudySpec.js';
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
    expect(code(() => verifyRoundMode(study, { aggregation: 'masking' }))).toBeUndefined();
    for (const a of ['plain', 'he', 'unspecified'] as AggregationMode[]) {
      expect(code(() => verifyRoundMode(study, { aggregation: a }))).toBe(ErrorCode.AggregationModeMismatch);
    }
  });

  it('extraRoundModes names modes per study; plain still needs allowPlainAggregation', () => {
    const extraRoundModes = { s: ['plain', 'he'] as const };
    expect(roundModesFor('s', 'masking', { allowPlainAggregation: true, extraRoundModes })).toEqual(['masking', 'plain', 'he']);
    expect(roundModesFor('s', 'masking', { allowPlainAggregation: false, extraRoundModes })).toEqual(['masking', 'he']);
    expect(roundModesFor('other', 'masking', { allowPlainAggregation: true, extraRoundModes })).toEqual(['masking']);
    const study = { studyId: 's', aggregation: 'masking' as const, roundModes: roundModesFor('s', 'masking', { allowPlainAggregation: false, extraRoundModes }) };
    expect(code(() => verifyRoundMode(study, { aggregation: 'he' }))).toBeUndefined();
    expect(code(() => verifyRoundMode(study, { aggregation: 'plain' }))).toBe(ErrorCode.AggregationModeMismatch);
  });
});
