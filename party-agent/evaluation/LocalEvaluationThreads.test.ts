// Tests of LocalEvaluationThreads: a long local evaluation or pooled risk count runs off the agent's event
// loop (timers keep firing, so heartbeats would), failures reject with a typed code, stop() ends the worker.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { seededRandomSource } from '../../shared/dp/random/RandomSource.js';
import { uniformInt } from '../../shared/dp/random/uniform.js';
import { ErrorCode } from '../../shared/errors/FedsynthError.js';
import type { LocalEvaluationInput } from './LocalEvaluation.js';
import { LocalEvaluationThreads } from './LocalEvaluationThreads.js';
import { countPooledRisk, type PooledRiskInput } from './PooledRiskContribution.js';

const root = mkdtempSync(join(tmpdir(), 'fedsynth-eval-threads-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A study large enough that its evaluation (with risk) takes seconds on one core. */
function largeStudy(name: string): LocalEvaluationInput {
  const rng = seededRandomSource('eval-threads-test', name);
  const sizes = [5, 9, 11, 13, 4, 7, 3, 6];
  const columns = (n: number) => sizes.map((size) => Int32Array.from({ length: n }, () => uniformInt(rng, size)));
  const rows = columns(8000);
  const control = columns(2000);
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const names = sizes.map((_, i) => `c${i}`);
  const lines = [names.join(',')];
  for (let i = 0; i < 5000; i++) lines.push(rows.map((c) => c[i]).join(','));
  writeFileSync(join(dir, 'synthetic.csv'), lines.join('\n') + '\n');
  return { dir, partyId: 'hospital-a', studyId: name, domain: names.map((n, i) => ({ name: n, size: sizes[i]! })), schemaJson: '', target: 'c0', rows, control, attacks: 2000 };
}

it('keeps the event loop answering timers while a large evaluation runs', async () => {
  const threads = new LocalEvaluationThreads();
  const ticks: number[] = [performance.now()];
  const timer = setInterval(() => ticks.push(performance.now()), 25);
  let result;
  try {
    result = await threads.run(largeStudy('large'));
  } finally {
    clearInterval(timer);
  }
  ticks.push(performance.now());
  const durationMs = ticks[ticks.length - 1]! - ticks[0]!;
  const maxGapMs = Math.max(...ticks.slice(1).map((t, i) => t - ticks[i]!));
  // Relative, not a wall-clock bound (the machine may be loaded): run on this thread, the evaluation
  // would stall timers for about its whole duration (planted: run() evaluating inline fails here
  // with one gap of the whole run); off it, no gap comes near half the run.
  expect(result.seconds).toBeGreaterThan(0.3);
  expect(durationMs).toBeGreaterThan(300);
  expect(maxGapMs).toBeLessThan(durationMs / 2);
});

it('rejects with a typed code when the evaluation fails in the worker, and with CANCELLED after stop()', async () => {
  const threads = new LocalEvaluationThreads();
  const missing = { ...largeStudy('missing'), dir: join(root, 'no-such-dir') };
  await expect(threads.run(missing)).rejects.toMatchObject({ name: 'FedsynthError', code: ErrorCode.Internal, message: expect.stringMatching(/synthetic\.csv/) });
  const running = threads.run(largeStudy('stopped'));
  await new Promise((r) => setTimeout(r, 300));
  await threads.stop();
  await expect(running).rejects.toMatchObject({ code: ErrorCode.Cancelled });
  await expect(threads.run(missing)).rejects.toMatchObject({ code: ErrorCode.Cancelled });
});

it('ends an evaluation over its memory cap with MODEL_TOO_LARGE, and the agent thread goes on', async () => {
  // 4 MB of JS heap cannot hold the evaluation's objects (typed arrays live outside the heap, so the
  // cap bounds what the evaluation builds, not the rows it is handed; planted: no
  // resourceLimits -> the run succeeds and this fails).
  const threads = new LocalEvaluationThreads(4);
  await expect(threads.run(largeStudy('capped'))).rejects.toMatchObject({ code: ErrorCode.ModelTooLarge, message: expect.stringMatching(/4 MB memory cap/) });
  const after = await new LocalEvaluationThreads().run(largeStudy('after-cap'));
  expect(after.json.length).toBeGreaterThan(0);
}, 300_000);

it('counts the pooled risk in a worker (the inline count, bit for bit) while the event loop answers timers', async () => {
  const s = largeStudy('pooled');
  const input: PooledRiskInput = { dir: s.dir, studyId: 'pooled', attrs: s.domain.map((d) => d.name), shape: s.domain.map((d) => d.size), schemaJson: '', families: [], train: s.rows, control: s.control ?? [] };
  const ticks: number[] = [performance.now()];
  const timer = setInterval(() => ticks.push(performance.now()), 25);
  let counts;
  try {
    counts = await new LocalEvaluationThreads().runPooledRisk(input);
  } finally {
    clearInterval(timer);
  }
  ticks.push(performance.now());
  const durationMs = ticks[ticks.length - 1]! - ticks[0]!;
  const maxGapMs = Math.max(...ticks.slice(1).map((t, i) => t - ticks[i]!));
  // Planted: runPooledRisk counting inline -> one gap of the whole run, this fails.
  expect(maxGapMs).toBeLessThan(durationMs / 2);
  expect(Array.from(counts)).toEqual(Array.from(countPooledRisk(input)));
}, 180_000);
