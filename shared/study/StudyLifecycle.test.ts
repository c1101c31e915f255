import { describe, expect, it } from 'vitest';
import { canTransition, isTerminal, parseStudyState, transition } from './StudyLifecycle.js';

describe('StudyLifecycle', () => {
  it('allows the successful path including adaptive rounds', () => {
    let s = transition('s1', 'draft', 'approved');
    s = transition('s1', s, 'running');
    s = transition('s1', s, 'fitting');
    s = transition('s1', s, 'running');
    s = transition('s1', s, 'fitting');
    s = transition('s1', s, 'delivering');
    s = transition('s1', s, 'done');
    expect(isTerminal(s)).toBe(true);
  });
  it('refuses skipping steps and leaving terminal states with OUT_OF_STEP', () => {
    expect(() => transition('s1', 'draft', 'running')).toThrowError(/cannot go from draft to running/);
    expect(canTransition('done', 'running')).toBe(false);
    expect(canTransition('cancelled', 'running')).toBe(false);
    try {
      transition('s1', 'failed', 'done');
    } catch (e) {
      expect((e as { code: string }).code).toBe('OUT_OF_STEP');
    }
  });
  it('rejects unknown states from storage as CORRUPT_STATE', () => {
    expect(() => parseStudyState('weird')).toThrowError(/unknown study state/);
    expect(parseStudyState('fitting')).toBe('fitting');
  });
});
