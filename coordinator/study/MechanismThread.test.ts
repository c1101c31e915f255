// Tests for MechanismThread: under vitest the mechanism runs in a worker thread started from the
// TypeScript sources (not inline on the test's event loop), with the same output as inline.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { dependentTable, testOracle } from '../../test/support/testOracle.js';
import { runMechanismInWorker } from './MechanismThread.js';
import { runMechanism } from './runMechanism.js';

/** Collects streamed chunks (checking that the next one comes only after the last was taken). */
function collector(): { chunks: Int32Array[][]; onRows: (chunk: Int32Array[]) => Promise<void>; concat: () => number[][] } {
  const chunks: Int32Array[][] = [];
  let busy = false;
  return {
    chunks,
    onRows: async (chunk) => {
      expect(busy).toBe(false);
      busy = true;
      chunks.push(chunk);
      await new Promise((r) => setTimeout(r, 5));
      busy = false;
    },
    concat: () => (chunks[0] ?? []).map((_, j) => chunks.flatMap((c) => Array.from(c[j]))),
  };
}

describe('runMechanismInWorker', () => {
  it('runs MST in a worker thread from the sources, keeps the event loop free, and matches the inline run bit for bit', async () => {
    const table = dependentTable(4000, 'mt');
    const opts = { rho: 0.5, rows: 500, sampleSeed: 'mt-sample', seed: 'mt' };
    // This thread's event loop stays mostly idle while the worker fits (event-loop utilisation
    // well below 1); an inline run keeps it busy for the whole run (utilisation close to 1).
    const w = collector();
    const elu0 = performance.eventLoopUtilization();
    const worker = await runMechanismInWorker('mst', testOracle(table, 3, 'mt').oracle, { ...opts, onRows: w.onRows });
    const busyWorker = performance.eventLoopUtilization(elu0).utilization;
    const i = collector();
    const elu1 = performance.eventLoopUtilization();
    const inline = await runMechanism('mst', testOracle(table, 3, 'mt').oracle, { ...opts, onRows: i.onRows, sampleRng: seededRandomSource(opts.sampleSeed, 'coordinator/sample') });
    const busyInline = performance.eventLoopUtilization(elu1).utilization;
    expect(w.chunks).toHaveLength(1);
    expect(w.concat()).toEqual(i.concat());
    expect(worker.rows).toBe(500);
    expect(worker.modelJson).toEqual(inline.modelJson);
    expect(busyInline).toBeGreaterThan(0.8);
    expect(busyWorker).toBeLessThan(0.5);
  });

  it('streams the rows from the worker in chunks, one at a time, as the inline run draws them', async () => {
    const table = dependentTable(1000, 'mc');
    const opts = { rho: 0.5, rows: 300, chunkRows: 128, sampleSeed: 'mc-sample', seed: 'mc' };
    const w = collector();
    await runMechanismInWorker('mst', testOracle(table, 2, 'mc').oracle, { ...opts, onRows: w.onRows });
    const i = collector();
    await runMechanism('mst', testOracle(table, 2, 'mc').oracle, { ...opts, onRows: i.onRows, sampleRng: seededRandomSource(opts.sampleSeed, 'coordinator/sample') });
    expect(w.chunks.map((c) => c[0].length)).toEqual([128, 128, 44]);
    expect(w.concat()).toEqual(i.concat());
  });
});
