// _aimHeterogeneityKnob: AIM's `heterogeneity` option from a bench's environment knobs (quality's
// BENCH_HET / BENCH_JOINT, width's BENCH_WIDTH_HET), so the old default stays selectable.
import type { AimHeterogeneity } from '../shared/synth/AimOptions.js';

/**
 * `joint` (the default since session 11), `condition` (the default before), `self`
 * (`selfCondition`) or `none`; a `joint` knob of 1 or 2 (session 10's BENCH_JOINT) means `joint`
 * whatever `het` says, so documented commands keep their meaning. Undefined: AIM's default.
 */
export function aimHeterogeneityKnob(het: string | undefined, joint?: string): AimHeterogeneity | undefined {
  if (joint === '1' || joint === '2') return 'joint';
  if (het === 'none' || het === 'condition' || het === 'joint') return het;
  if (het === 'self') return 'selfCondition';
  return undefined;
}
