// Tests of EventLoopSlices: synchronous work cut into slices lets timers run between them (a party
// agent's heartbeats during a long scoring), and costs no macrotask while a slice lasts.
import { expect, it } from 'vitest';
import { EventLoopSlices } from './EventLoopSlices.js';

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

it('runs a timer due during 400 ms of work cut into 20 ms slices, long before the work ends', async () => {
  const slices = new EventLoopSlices(20);
  const t0 = performance.now();
  let fired = -1;
  const timer = setInterval(() => {
    if (fired < 0) fired = performance.now() - t0;
  }, 10);
  for (let i = 0; i < 80; i++) {
    await slices.pause();
    busy(5);
  }
  const total = performance.now() - t0;
  clearInterval(timer);
  expect(fired).toBeGreaterThanOrEqual(0);
  // Without slices the timer would first run after all 400 ms of work.
  expect(fired).toBeLessThan(total / 2);
});

it('hands back nothing while a slice lasts (no timer runs in 1,000 short units under one slice)', async () => {
  const slices = new EventLoopSlices(10_000);
  let fired = false;
  const timer = setTimeout(() => (fired = true), 0);
  for (let i = 0; i < 1000; i++) await slices.pause();
  expect(fired).toBe(false);
  clearTimeout(timer);
});
