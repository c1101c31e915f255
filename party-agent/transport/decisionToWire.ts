// decisionToWire: a party's study decision (decisions/DecisionMessage) as the agent message it is sent
// as — StudyDecision, or Error naming study_announcement.spec for a refused re-announcement.
import type { AgentMessage } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import type { DecisionMessage } from '../decisions/DecisionMessage.js';

type AgentBody = NonNullable<AgentMessage['body']>;

export function decisionToWire(m: DecisionMessage): AgentBody {
  switch (m.kind) {
    case 'decision':
      return { $case: 'studyDecision', value: { studyId: m.studyId, approved: m.approved, reason: m.reason } };
    case 'respecRefused':
      return { $case: 'error', value: { code: m.code, message: m.message, studyId: m.studyId, roundId: '', field: 'study_announcement.spec' } };
  }
}
