// EventLoopSlices: long synchronous work (an agent's per-candidate references) cut into slices that
// hand the event loop back between them, so the process keeps its heartbeats and streams alive.

/**
 * Call `pause()` between units of work: it resolves at once until `sliceMs` of work have passed since
 * the last pause, then on the next macrotask (timers and I/O run first). A party agent scoring
 * thousands of AIM candidates from the model (modelJoint per candidate) for minutes on a loaded
 * machine otherwise missed the coordinator's 20 s heartbeat window and was dropped from the round.
 */
export class EventLoopSlices {
  private last = performance.now();

  constructor(private readonly sliceMs = 50) {}

  async pause(): Promise<void> {
    if (performance.now() - this.last < this.sliceMs) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    this.last = performance.now();
  }
}
