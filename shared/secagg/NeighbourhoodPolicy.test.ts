// Tests of NeighbourhoodPolicy: the SecAgg+ floor on k, the share-threshold check, the coordinator's
// automatic choice and its validation of an operator's k (each refusal shown with a planted value).
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../errors/FedsynthError.js';
import {
  defaultNeighbours,
  minSafeNeighbours,
  neighbourFloor,
  neighbourhoodShape,
  neighbourhoodShortfall,
  resolveNeighbours,
  roundNeighbours,
} from './NeighbourhoodPolicy.js';

const fails = (code: string) => expect.objectContaining({ code });

describe('NeighbourhoodPolicy', () => {
  it('floor: even, >= 2 ceil(log2 n) and >= 2f + 2', () => {
    expect(neighbourFloor(8, 0)).toBe(6);
    expect(neighbourFloor(100, 0)).toBe(14);
    expect(neighbourFloor(100, 9)).toBe(20);
    expect(neighbourFloor(1000, 2)).toBe(20);
    for (let n = 2; n < 300; n += 7) for (let f = 0; f < 5; f++) expect(neighbourFloor(n, f) % 2).toBe(0);
  });

  it('accepts a safe sparse k and the full graph; refuses odd, small and weak-threshold k', () => {
    const risk = { parties: 8, threshold: 8, colluders: 0 };
    expect(neighbourhoodShortfall(risk, 6)).toBeUndefined();
    expect(neighbourhoodShape(risk, 6)).toMatchObject({ degree: 6, sparse: true });
    expect(neighbourhoodShortfall(risk, 0)).toBeUndefined();
    expect(neighbourhoodShortfall(risk, 7)).toBeUndefined(); // k = n - 1: full graph
    // Planted faults: below the floor, odd.
    expect(neighbourhoodShortfall(risk, 2)).toMatch(/below the safe minimum 6/);
    expect(neighbourhoodShortfall(risk, 5)).toMatch(/must be even/);
    expect(neighbourhoodShortfall(risk, 6, 8)).toMatch(/below the safe minimum 8/); // the agent's own floor
    // n = 100, f = 10, t = 20 (80 may drop): the floor 22 gives a neighbourhood share threshold
    // ceil(20 * 23 / 100) = 5 <= f, so 10 colluding holders could rebuild a victim's secrets.
    const weak = { parties: 100, threshold: 20, colluders: 10 };
    expect(neighbourhoodShape(weak, 22).shareThreshold).toBe(5);
    expect(neighbourhoodShortfall(weak, 22)).toMatch(/share threshold 5 .* must exceed the f = 10 colluders/);
    const k = minSafeNeighbours(weak);
    expect(neighbourhoodShape(weak, k).shareThreshold).toBeGreaterThan(10);
    expect(neighbourhoodShortfall(weak, k)).toBeUndefined();
    expect(neighbourhoodShortfall(weak, k - 2)).toBeDefined(); // k is the smallest
    // Full graph with t <= f is refused too.
    expect(neighbourhoodShortfall({ parties: 5, threshold: 2, colluders: 2 }, 0)).toMatch(/threshold t = 2 must exceed/);
  });

  it('coordinator default: full graph up to 64 parties, else the smallest safe k', () => {
    expect(defaultNeighbours({ parties: 10, threshold: 7, colluders: 1 })).toBe(0);
    expect(defaultNeighbours({ parties: 64, threshold: 64, colluders: 0 })).toBe(0);
    const big = { parties: 200, threshold: 180, colluders: 3 };
    const k = defaultNeighbours(big);
    expect(k).toBe(16); // 2 * ceil(log2 200) = 16 >= 2f + 2 = 8; share threshold ceil(180*17/200) = 16 > 3
    expect(neighbourhoodShortfall(big, k)).toBeUndefined();
    // 300 parties with f = 200: no sparse k is safe and the full graph is limited to 255 parties.
    expect(() => defaultNeighbours({ parties: 300, threshold: 280, colluders: 200 })).toThrow(fails(ErrorCode.InvalidArgument));
  });

  it('validates an operator k: 0 = automatic, k < n, n - 1 = full graph (stored as 0)', () => {
    const risk = { parties: 8, threshold: 8, colluders: 0 };
    expect(resolveNeighbours(risk, 0)).toBe(0);
    expect(resolveNeighbours(risk, 6)).toBe(6);
    expect(resolveNeighbours(risk, 7)).toBe(0);
    expect(() => resolveNeighbours(risk, 8)).toThrow(fails(ErrorCode.InvalidArgument));
    expect(() => resolveNeighbours(risk, 4)).toThrow(fails(ErrorCode.InvalidArgument));
    expect(() => resolveNeighbours(risk, 5)).toThrow(fails(ErrorCode.InvalidArgument));
    expect(() => resolveNeighbours({ parties: 100, threshold: 90, colluders: 0 }, 8)).toThrow(/use k >= 14/);
  });

  it('roundNeighbours: k = 0 or k >= n - 1 is the full graph', () => {
    expect(roundNeighbours(0, 8)).toBeUndefined();
    expect(roundNeighbours(7, 8)).toBeUndefined();
    expect(roundNeighbours(12, 8)).toBeUndefined();
    expect(roundNeighbours(6, 8)).toBe(6);
  });
});
