// Tests of DemoPhases: each phase's length is the time since the previous phase ended, a phase
// ended at an earlier recorded time (a status seen before the previous end) counts zero.
import { expect, it } from 'vitest';
import { DemoPhases } from './DemoPhases.js';

it('records each phase as the time since the previous one ended, in order', () => {
  const p = new DemoPhases(1_000);
  p.end('pki', 1_500);
  p.end('split', 1_600);
  p.end('rounds', 4_600);
  // A phase whose end was seen before the previous phase's end is empty, never negative.
  p.end('finalFit', 4_000);
  p.end('sampleAndOutputs', 5_000);
  expect(p.toJSON()).toEqual({ pki: 0.5, split: 0.1, rounds: 3, finalFit: 0, sampleAndOutputs: 0.4 });
  expect(Object.keys(p.toJSON())).toEqual(['pki', 'split', 'rounds', 'finalFit', 'sampleAndOutputs']);
  const sum = Object.values(p.toJSON()).reduce((a, b) => a + b, 0);
  expect(sum).toBeCloseTo(4, 9);
});
