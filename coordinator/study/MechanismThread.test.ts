// Tests for MechanismThread: under vitest the mechanism runs in a worker thread started from the
// TypeScript sources (not inline on the test's event loop), with the same output as inline.
import { describe, expect, it } from 'vitest';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { dependentTable, testOracle } from '../../test/support/testOracle.js';
import { runMechanismInWorker } from './MechanismThread.js';
import { runMechanism } from './runMechanism.js';

describe('runMechanismInWorker', () => {
  it('runs MST in a worker thread from the sources, keeps the event loop free, and matches the inline run bit for bit', async () => {
    const table = dependentTable(4000, 'mt');
    const opts = { rho: 0.5, rows: 500, sampleSeed: 'mt-sample', seed: 'mt' };
    // This thread's event loop stays mostly idle while the worker fits (event-loop utilisation
    // well below 1); an inline run keeps it busy for the whole run (utilisation close to 1).
    const elu0 = performance.eventLoopUtilization();
    const worker = await runMechanismInWorker('mst', testOracle(table, 3, 'mt').oracle, opts);
    const busyWorker = performance.eventLoopUtilization(elu0).utilization;
    const elu1 = performance.eventLoopUtilization();
    const inline = await runMechanism('mst', testOracle(table, 3, 'mt').oracle, { ...opts, sampleRng: seededRandomSource(opts.sampleSeed, 'coordinator/sample') });
    const busyInline = performance.eventLoopUtilization(elu1).utilization;
    expect(worker.columns.map((c) => Array.from(c))).toEqual(inline.columns.map((c) => Array.from(c)));
    expect(worker.modelJson).toEqual(inline.modelJson);
    expect(busyInline).toBeGreaterThan(0.8);
    expect(busyWorker).toBeLessThan(0.5);
  });
});
