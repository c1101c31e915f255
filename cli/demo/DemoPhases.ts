// DemoPhases: where `fedsynth demo`'s wall time goes — the end of each phase in seconds since the
// demo started, and each phase's length (demo.json timings.phases; bench/demo emits them).

/** Phase names in the order the demo runs them. */
export type DemoPhase =
  | 'pki'
  | 'split'
  | 'processesUp'
  | 'agentsOnline'
  | 'rounds'
  | 'finalFit'
  | 'sampleAndOutputs'
  | 'fetchAndVerify'
  | 'demoEvaluation'
  | 'localReports'
  | 'report'
  | 'shutdown';

export class DemoPhases {
  private readonly t0: number;
  private last: number;
  private readonly lengths: Partial<Record<DemoPhase, number>> = {};

  constructor(t0 = Date.now()) {
    this.t0 = t0;
    this.last = t0;
  }

  /** Ends `phase` now (or at `at`, a Date.now() time not before the previous phase's end). */
  end(phase: DemoPhase, at = Date.now()): void {
    const t = Math.max(at, this.last);
    this.lengths[phase] = (t - this.last) / 1000;
    this.last = t;
  }

  /** Seconds since the demo started. */
  elapsed(): number {
    return (Date.now() - this.t0) / 1000;
  }

  /** Each ended phase's seconds, in order. */
  toJSON(): Partial<Record<DemoPhase, number>> {
    return { ...this.lengths };
  }
}
