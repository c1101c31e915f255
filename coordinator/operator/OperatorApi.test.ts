// Tests of the operator edge's study validation (completeSpec): a study that could never finish is
// refused at creation, before it is announced or any party is charged (issue 20 item 1); its round timeout.
import { describe, expect, it } from 'vitest';
import { ErrorCode, FedsynthError } from '../../shared/errors/FedsynthError.js';
import { MAX_SYNTHETIC_ROWS } from '../../shared/study/studyFeasibility.js';
import { Aggregation, Mechanism, StudySpec } from '../../proto/generated/fedsynth/consortium/v1/consortium.js';
import { assertKnownParties, completeSpec } from './OperatorApi.js';

const PARTIES = ['hospital-a', 'hospital-b', 'hospital-c'];

function create(over: Partial<StudySpec>, parties: string[] = PARTIES): ReturnType<typeof completeSpec>['spec'] {
  const spec = StudySpec.fromPartial({ mechanism: Mechanism.MECHANISM_AIM, epsilon: 1, delta: 1e-9, domain: [{ name: 'a', size: 2 }, { name: 'b', size: 3 }], aggregation: Aggregation.AGGREGATION_MASKING, syntheticRows: 1000, minParties: 2, ...over });
  return completeSpec({ spec, parties, seed: '', splitNote: '', roundTimeoutMs: 0 }, [], false).spec;
}

function refusal(fn: () => unknown): FedsynthError {
  try {
    fn();
  } catch (e) {
    if (e instanceof FedsynthError) return e;
    throw e;
  }
  throw new Error('accepted');
}

describe('completeSpec: the pooled risk reservation is stated up front and must fit the budget', () => {
  const rho = create({}).rho;
  it('keeps a reservation below the study rho; the mechanism gets the rest', () => {
    const spec = create({ evaluationRho: 0.1 * rho });
    expect(spec.evaluationRho).toBeCloseTo(0.1 * rho, 15);
    expect(create({}).evaluationRho).toBeUndefined();
  });

  it('refuses a reservation that leaves the mechanism nothing, a negative one, and one with dpsgd', () => {
    for (const over of [{ evaluationRho: rho }, { evaluationRho: 2 * rho }, { evaluationRho: -0.001 }, { evaluationRho: 0.1 * rho, mechanism: Mechanism.MECHANISM_DPSGD }]) {
      const e = refusal(() => create(over));
      expect(e.code).toBe(ErrorCode.InvalidArgument);
      expect(e.details.field).toBe('spec.evaluation_rho');
    }
  });
});

describe('completeSpec refuses a study that could not finish', () => {
  it('accepts the bounds themselves', () => {
    expect(create({ syntheticRows: 1 }).syntheticRows).toBe(1);
    expect(create({ syntheticRows: MAX_SYNTHETIC_ROWS }).syntheticRows).toBe(MAX_SYNTHETIC_ROWS);
    expect(create({ minParties: 3, colluders: 1, dropouts: 1 }).minParties).toBe(3);
  });

  it('--rows 1000000000000: INVALID_ARGUMENT naming synthetic_rows and the bound', () => {
    const e = refusal(() => create({ syntheticRows: 1e12 }));
    expect(e.code).toBe(ErrorCode.InvalidArgument);
    expect(e.details.field).toBe('spec.synthetic_rows');
    expect(e.message).toContain(String(MAX_SYNTHETIC_ROWS));
  });

  it('rows x columns beyond the cell bound', () => {
    const wide = Array.from({ length: 200 }, (_, i) => ({ name: `c${i}`, size: 2 }));
    const e = refusal(() => create({ syntheticRows: 5_000_000, domain: wide }));
    expect(e.details.field).toBe('spec.synthetic_rows');
    expect(e.message).toMatch(/at most \d+ rows for 200 columns/);
  });

  it('--min-parties 10 with 3 parties invited', () => {
    const e = refusal(() => create({ minParties: 10 }));
    expect(e.code).toBe(ErrorCode.InvalidArgument);
    expect(e.details.field).toBe('spec.min_parties');
    expect(e.message).toContain('at least 10 parties (min_parties = 10) but only 3 are invited');
  });

  it('colluders + dropouts + 1 above the invited parties', () => {
    const e = refusal(() => create({ colluders: 1, dropouts: 2 }));
    expect(e.message).toContain('colluders + dropouts + 1 = 4');
  });

  it('lists every infeasible term at once', () => {
    const e = refusal(() => create({ syntheticRows: 1e12, minParties: 10 }));
    expect(e.message).toMatch(/synthetic_rows.*; spec\.min_parties/);
  });
});

describe('assertKnownParties', () => {
  it('refuses an invitation naming a party the coordinator has never known, NOT_FOUND naming it', () => {
    expect(() => assertKnownParties(['hospital-a', 'hospital-b'], ['hospital-a', 'hospital-b', 'hospital-c'])).not.toThrow();
    const e = refusal(() => assertKnownParties(['hospital-a', 'hospitl-b'], ['hospital-a', 'hospital-b']));
    expect(e.code).toBe(ErrorCode.NotFound);
    expect(e.message).toContain("unknown party 'hospitl-b'");
    expect(e.details.parties).toEqual(['hospitl-b']);
  });
});

describe('completeSpec: a study\'s own round timeout (CreateStudyRequest.round_timeout_ms)', () => {
  const timeout = (roundTimeoutMs: number): number => {
    const spec = StudySpec.fromPartial({ mechanism: Mechanism.MECHANISM_MST, epsilon: 1, delta: 1e-9, domain: [{ name: 'a', size: 2 }], aggregation: Aggregation.AGGREGATION_MASKING, syntheticRows: 10, minParties: 2 });
    return completeSpec({ spec, parties: PARTIES, seed: '', splitNote: '', roundTimeoutMs }, [], false).roundTimeoutMs;
  };
  it('0 (the coordinator\'s) and whole ms in [1 s, 1 day] are kept', () => {
    expect([0, 1_000, 600_000, 86_400_000].map(timeout)).toEqual([0, 1_000, 600_000, 86_400_000]);
  });
  it('below 1 s, above a day or a fraction of a ms: INVALID_ARGUMENT naming round_timeout_ms', () => {
    for (const ms of [1, 999, 86_400_001, 1500.5]) {
      const e = refusal(() => timeout(ms));
      expect(e.code, String(ms)).toBe(ErrorCode.InvalidArgument);
      expect(e.details.field).toBe('round_timeout_ms');
    }
  });
});
