// Tests of decisionToWire: a decision goes out as StudyDecision, a refused re-announcement as Error
// naming study_announcement.spec (the field the coordinator logs it under).
import { describe, expect, it } from 'vitest';
import { AgentMessage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { decisionToWire } from './decisionToWire.js';

const roundTrip = (body: AgentMessage['body']) => AgentMessage.decode(AgentMessage.encode({ seq: 1, body }).finish()).body;

describe('decisionToWire', () => {
  it('sends a decision as StudyDecision, every field kept', () => {
    expect(roundTrip(decisionToWire({ kind: 'decision', studyId: 's1', approved: true, reason: 'approved by policy' }))).toEqual({
      $case: 'studyDecision',
      value: { studyId: 's1', approved: true, reason: 'approved by policy' },
    });
    expect(roundTrip(decisionToWire({ kind: 'decision', studyId: 's2', approved: false, reason: 'INVALID_ARGUMENT: spec.mechanism' }))).toMatchObject({
      $case: 'studyDecision',
      value: { studyId: 's2', approved: false, reason: 'INVALID_ARGUMENT: spec.mechanism' },
    });
  });

  it('sends a refused re-announcement as Error naming study_announcement.spec', () => {
    expect(roundTrip(decisionToWire({ kind: 'respecRefused', studyId: 's1', code: 'SPEC_CHANGED', message: 'the spec changed' }))).toEqual({
      $case: 'error',
      value: { code: 'SPEC_CHANGED', message: 'the spec changed', studyId: 's1', roundId: '', field: 'study_announcement.spec' },
    });
  });
});
