// StudyLifecycle: the explicit state machine of a study on the coordinator, shared by the store,
// the runner and the operator commands. Any transition not listed here is refused.
import { ErrorCode, FedsynthError } from '../errors/FedsynthError.js';

/** The states of a study, in the order a successful study passes through them. */
export type StudyState = 'draft' | 'approved' | 'running' | 'fitting' | 'delivering' | 'done' | 'failed' | 'cancelled';

export const STUDY_STATES: readonly StudyState[] = ['draft', 'approved', 'running', 'fitting', 'delivering', 'done', 'failed', 'cancelled'];

/** Allowed transitions. `running -> fitting -> running` covers AIM's adaptive rounds. */
const NEXT: Readonly<Record<StudyState, readonly StudyState[]>> = {
  draft: ['approved', 'failed', 'cancelled'],
  approved: ['running', 'failed', 'cancelled'],
  running: ['fitting', 'failed', 'cancelled'],
  fitting: ['running', 'delivering', 'failed', 'cancelled'],
  delivering: ['done', 'failed', 'cancelled'],
  done: [],
  failed: [],
  cancelled: [],
};

/** True when no further transition is possible. */
export function isTerminal(state: StudyState): boolean {
  return NEXT[state].length === 0;
}

export function canTransition(from: StudyState, to: StudyState): boolean {
  return NEXT[from].includes(to);
}

/** Returns `to` or throws OUT_OF_STEP naming both states. */
export function transition(studyId: string, from: StudyState, to: StudyState): StudyState {
  if (!canTransition(from, to)) {
    throw new FedsynthError(ErrorCode.OutOfStep, `study ${studyId}: cannot go from ${from} to ${to}`, { studyId, from, to });
  }
  return to;
}

export function parseStudyState(s: string): StudyState {
  if ((STUDY_STATES as readonly string[]).includes(s)) return s as StudyState;
  throw new FedsynthError(ErrorCode.CorruptState, `unknown study state '${s}'`, { state: s });
}
