// Tests of the party's own verification of a study's privacy terms and of the spec hash that binds
// its decision: each check is shown to refuse the weakened value a hostile coordinator would send.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import { rhoFromEpsilon } from '../../shared/dp/accounting/cdpConversion.js';
import { studySpecHash } from '../../platform/wire/studySpecHash.js';
import type { StudySpec } from '../../shared/study/StudySpec.js';
import { effectiveStudyTerms, verifySpecTerms, type PartyTerms } from './SpecVerification.js';
import { assertReviewedHash, assertSameSpec, storedStudy, storedStudyJson } from './SpecBinding.js';

/** The stable code `fn` throws ('NO_ERROR' if it returns). */
function errorCodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code ?? 'NOT_A_FEDSYNTH_ERROR';
  }
  return 'NO_ERROR';
}

const own: PartyTerms = { maxSilosPerIndividual: 2, minColluders: 1, minDropouts: 0 };
const spec: StudySpec = {
  studyId: 's1',
  title: '',
  mechanism: 'aim',
  epsilon: 1,
  delta: 1e-9,
  rho: rhoFromEpsilon(1, 1e-9),
  columns: [],
  domain: [{ name: 'a', size: 3 }],
  aggregation: 'masking',
  minParties: 2,
  colluders: 1,
  dropouts: 2,
  syntheticRows: 1000,
  domainHash: '',
  maxSilosPerIndividual: 2,
  targetColumn: '',
  schemaJson: '',
  neighbours: 0,
};

describe('verifySpecTerms', () => {
  it('accepts a spec that meets every term and returns the party-derived ones', () => {
    const r = verifySpecTerms(spec, own);
    expect(r.problems).toEqual([]);
    expect(r.terms).toEqual({ epsilon: 1, delta: 1e-9, approvedRho: rhoFromEpsilon(1, 1e-9), colluders: 1, dropouts: 2, maxSilosPerIndividual: 2 });
  });

  it('refuses a rho that is not the conversion of (epsilon, delta), above or below it', () => {
    for (const rho of [spec.rho * (1 + 1e-9), spec.rho * 9, spec.rho * 0.5, Number.NaN, Infinity]) {
      expect(verifySpecTerms({ ...spec, rho }, own).problems.map((p) => p.code), String(rho)).toEqual([ErrorCode.SpecRhoMismatch]);
    }
    // A converter that rounds a hair lower (charges less) is harmless.
    expect(verifySpecTerms({ ...spec, rho: spec.rho * (1 - 1e-12) }, own).problems).toEqual([]);
  });

  it('refuses a study that could not finish (rows, cells, invited parties) before any charge', () => {
    const codes = (s: StudySpec, invited?: number) => verifySpecTerms(s, own, invited).problems.map((p) => [p.code, p.field]);
    expect(codes({ ...spec, syntheticRows: 1e12 })).toEqual([[ErrorCode.SpecInfeasible, 'synthetic_rows']]);
    expect(codes({ ...spec, syntheticRows: 0 })).toEqual([[ErrorCode.SpecInfeasible, 'synthetic_rows']]);
    const wide = { ...spec, syntheticRows: 10_000_000, domain: Array.from({ length: 100 }, (_, i) => ({ name: `c${i}`, size: 2 })) };
    expect(codes(wide)).toEqual([[ErrorCode.SpecInfeasible, 'synthetic_rows']]);
    // A round needs max(minParties, colluders + dropouts + 1) = 4 parties here.
    expect(codes(spec, 4)).toEqual([]);
    expect(codes(spec, 3)).toEqual([[ErrorCode.SpecInfeasible, 'min_parties']]);
    expect(codes({ ...spec, minParties: 10 }, 3)).toEqual([[ErrorCode.SpecInfeasible, 'min_parties']]);
    // At round time (effectiveStudyTerms) the bound holds too: no charge for an impossible study.
    expect(errorCodeOf(() => effectiveStudyTerms({ ...spec, syntheticRows: 1e12 }, own))).toBe(ErrorCode.SpecInfeasible);
  });

  it('refuses unusable epsilon, delta and counts', () => {
    expect(verifySpecTerms({ ...spec, epsilon: 0 }, own).problems[0]).toMatchObject({ code: ErrorCode.InvalidPrivacyParameter, field: 'epsilon' });
    expect(verifySpecTerms({ ...spec, delta: 1 }, own).problems[0]).toMatchObject({ code: ErrorCode.InvalidPrivacyParameter, field: 'delta' });
    expect(verifySpecTerms({ ...spec, dropouts: 1.5 }, own).problems[0]).toMatchObject({ code: ErrorCode.InvalidPrivacyParameter, field: 'dropouts' });
  });

  it("names every term below the party's own (k, colluders, dropouts), and the effective terms are the maxima", () => {
    const weak = { ...spec, maxSilosPerIndividual: 1, colluders: 0, dropouts: 0 };
    const r = verifySpecTerms(weak, { maxSilosPerIndividual: 3, minColluders: 1, minDropouts: 1 });
    expect(r.problems.map((p) => [p.code, p.field])).toEqual([
      [ErrorCode.SpecBelowPartyTerms, 'max_silos_per_individual'],
      [ErrorCode.SpecBelowPartyTerms, 'colluders'],
      [ErrorCode.SpecBelowPartyTerms, 'dropouts'],
    ]);
    expect(r.terms).toMatchObject({ maxSilosPerIndividual: 3, colluders: 1, dropouts: 1 });
    // proto3 "unset" k (0) counts as 1.
    expect(verifySpecTerms({ ...spec, maxSilosPerIndividual: 0 }, { ...own, maxSilosPerIndividual: 1 }).terms.maxSilosPerIndividual).toBe(1);
  });

  it('effectiveStudyTerms applies raised terms at round time and throws on a forged rho', () => {
    expect(effectiveStudyTerms(spec, { maxSilosPerIndividual: 3, minColluders: 2, minDropouts: 0 })).toMatchObject({ maxSilosPerIndividual: 3, colluders: 2, dropouts: 2 });
    expect(errorCodeOf(() => effectiveStudyTerms({ ...spec, rho: spec.rho * 2 }, own))).toBe(ErrorCode.SpecRhoMismatch);
  });
});

describe('spec hash binding', () => {
  const parties = ['p1', 'p2'];
  const stored = storedStudy(storedStudyJson(spec, parties));

  it('the stored JSON round trip hashes like the announced spec; any changed term or invitation changes the hash', () => {
    expect(stored.specHash).toBe(studySpecHash(spec, parties));
    expect(stored.specHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const variants: [StudySpec, string[]][] = [
      [{ ...spec, epsilon: 2 }, parties],
      [{ ...spec, rho: spec.rho * 2 }, parties],
      [{ ...spec, colluders: 0 }, parties],
      [{ ...spec, maxSilosPerIndividual: 1 }, parties],
      [{ ...spec, domain: [{ name: 'a', size: 4 }] }, parties],
      [spec, ['p1', 'p2', 'p3']],
    ];
    for (const [s, p] of variants) expect(studySpecHash(s, p)).not.toBe(stored.specHash);
  });

  it('assertSameSpec and assertReviewedHash refuse another spec with SPEC_CHANGED', () => {
    expect(() => assertSameSpec(stored, spec, parties)).not.toThrow();
    expect(errorCodeOf(() => assertSameSpec(stored, { ...spec, epsilon: 4, rho: rhoFromEpsilon(4, 1e-9) }, parties))).toBe(ErrorCode.SpecChanged);
    expect(() => assertReviewedHash(stored, stored.specHash.toUpperCase())).not.toThrow();
    expect(errorCodeOf(() => assertReviewedHash(stored, studySpecHash(spec, ['p1'])))).toBe(ErrorCode.SpecChanged);
    expect(errorCodeOf(() => assertReviewedHash(stored, ''))).toBe(ErrorCode.SpecChanged);
  });
});

describe('the pooled risk reservation (evaluationRho) as the party checks it', () => {
  const two = { ...spec, domain: [{ name: 'a', size: 3 }, { name: 'b', size: 2 }] };
  it('accepts a reservation inside the rho it converted itself, refuses one that leaves the mechanism nothing', () => {
    expect(verifySpecTerms({ ...two, evaluationRho: 0.1 * spec.rho }, own).problems).toEqual([]);
    const refused = verifySpecTerms({ ...two, evaluationRho: spec.rho }, own).problems;
    expect(refused.map((p) => [p.code, p.field])).toEqual([[ErrorCode.SpecInfeasible, 'evaluation_rho']]);
    expect(errorCodeOf(() => effectiveStudyTerms({ ...two, evaluationRho: 1.5 * spec.rho }, own))).toBe(ErrorCode.SpecInfeasible);
  });
});
