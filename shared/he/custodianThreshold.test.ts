// custodianThreshold: the custodian's own floor for a key's t, and the refusals of a request below
// it, above the invited parties, or for a study without an honest survivor.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/FedsynthError.js';
import { custodianKeyThreshold, custodianThresholdFloor } from './custodianThreshold.js';

const fails = (code: string) => expect.objectContaining({ code });

describe('custodianThresholdFloor', () => {
  it('is max(own floor, min_parties, f + 1): no honest round of the study asks for less', () => {
    expect(custodianThresholdFloor({ minParties: 2, colluders: 0, dropouts: 0, invited: 5 }, 2)).toBe(2);
    expect(custodianThresholdFloor({ minParties: 4, colluders: 0, dropouts: 1, invited: 5 }, 2)).toBe(4);
    expect(custodianThresholdFloor({ minParties: 1, colluders: 3, dropouts: 0, invited: 5 }, 2)).toBe(4);
    expect(custodianThresholdFloor({ minParties: 1, colluders: 0, dropouts: 0, invited: 5 }, 3)).toBe(3);
  });
});

describe('custodianKeyThreshold', () => {
  const terms = { minParties: 3, colluders: 1, dropouts: 1, invited: 5 };
  it('keeps a requested t between the floor and the invited parties', () => {
    expect(custodianKeyThreshold(terms, 2, 3)).toBe(3);
    expect(custodianKeyThreshold(terms, 2, 5)).toBe(5);
  });
  it('refuses a lowered t (THRESHOLD_BELOW_PLAN, naming the field), a t above n, and a study with no honest survivor', () => {
    expect(() => custodianKeyThreshold(terms, 2, 2)).toThrow(fails(ErrorCode.ThresholdBelowPlan));
    expect(() => custodianKeyThreshold(terms, 2, 2)).toThrow(expect.objectContaining({ details: expect.objectContaining({ field: 'key_request.min_contributors', required: 3 }) }));
    expect(() => custodianKeyThreshold(terms, 2, 6)).toThrow(fails(ErrorCode.ProtocolViolation));
    expect(() => custodianKeyThreshold({ ...terms, colluders: 3, dropouts: 2 }, 2, 5)).toThrow(fails(ErrorCode.ProtocolViolation));
    expect(() => custodianKeyThreshold(terms, 2, -1)).toThrow(fails(ErrorCode.ProtocolViolation));
  });
});
