// Tests of RoundAttempts: a request is superseded only by a later attempt of the same round of the
// same study that has arrived; unnumbered requests (attempt 0) never supersede each other.
import { describe, expect, it } from 'vitest';
import { RoundAttempts } from './RoundAttempts.js';

describe('RoundAttempts', () => {
  it('a later attempt of the same round supersedes the earlier ones, nothing else does', () => {
    const a = new RoundAttempts();
    a.arrived('s', 's/r0', 1);
    expect(a.supersededBy('s', 's/r0', 1)).toBeUndefined();
    a.arrived('s', 's/r0', 2);
    expect(a.supersededBy('s', 's/r0', 1)).toBe(2);
    expect(a.supersededBy('s', 's/r0', 2)).toBeUndefined();
    a.arrived('s', 's/r0', 1); // an older attempt arriving late changes nothing
    expect(a.supersededBy('s', 's/r0', 1)).toBe(2);
    expect(a.supersededBy('s', 's/r1', 1)).toBeUndefined(); // another round
    expect(a.supersededBy('t', 's/r0', 1)).toBeUndefined(); // another study
    a.arrived('s', 's/r2', 0);
    a.arrived('s', 's/r2', 0);
    expect(a.supersededBy('s', 's/r2', 0)).toBeUndefined();
  });

  it('forgets the least recently advanced round first, beyond its capacity', () => {
    const a = new RoundAttempts(2);
    a.arrived('s', 'r0', 2);
    a.arrived('s', 'r1', 2);
    a.arrived('s', 'r0', 3); // r0 advanced: now the newest
    a.arrived('s', 'r2', 2); // r1 forgotten
    expect(a.supersededBy('s', 'r0', 1)).toBe(3);
    expect(a.supersededBy('s', 'r1', 1)).toBeUndefined();
    expect(a.supersededBy('s', 'r2', 1)).toBe(2);
  });
});
