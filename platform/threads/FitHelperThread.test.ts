// Tests for FitHelperThread with shared/pgm/TwoThreadFit: a mirror-descent fit on two threads is the
// one-thread fit bit for bit, and a fit without a helper that can attach runs on one thread.
import { afterAll, describe, expect, it } from 'vitest';
import { estimate } from '../../shared/pgm/Estimation.js';
import type { FitHelper, TwoThreadFit } from '../../shared/pgm/TwoThreadFit.js';
import { adultShapedDomain as domain, adultShapedMeasurements as measurements, sameBits } from '../../shared/pgm/testing/adultShapedFit.js';
import { FitHelperThread } from './FitHelperThread.js';

const helper = FitHelperThread.start();
afterAll(async () => {
  await helper?.close();
});

/** The helper, counting the fits it took. */
function counting(h: FitHelper): FitHelper & { attached: number } {
  const c = {
    attached: 0,
    attach(fit: TwoThreadFit): boolean {
      const ok = h.attach(fit);
      if (ok) c.attached++;
      return ok;
    },
  };
  return c;
}

describe('two-thread mirror descent (FitHelperThread)', () => {
  it('gives the one-thread model bit for bit, cold and warm-started, the helper serving fit after fit', async () => {
    expect(await helper!.ready).toBe(true);
    const h = counting(helper!);
    const ms = measurements(1);
    const one = estimate(domain, ms, { iters: 20, method: 'mirror-descent' });
    const two = estimate(domain, ms, { iters: 20, method: 'mirror-descent', helper: h });
    expect(h.attached).toBe(1);
    expect(two.tree.size()).toBe(180_075);
    expect(sameBits(two, one)).toBe(true);
    const more = [...ms, ...measurements(2).slice(40)];
    const oneWarm = estimate(domain, more, { iters: 8, method: 'mirror-descent', warmStart: one });
    const twoWarm = estimate(domain, more, { iters: 8, method: 'mirror-descent', warmStart: two, helper: h });
    expect(h.attached).toBe(2);
    expect(sameBits(twoWarm, oneWarm)).toBe(true);
    // The fit is a real one: the loss went down from the start, so a wrong split would show.
    expect(sameBits(twoWarm, two)).toBe(false);
  });

  it('runs on one thread when no helper can attach, and never asks for small trees or the accelerated estimator', async () => {
    const ms = measurements(3);
    const one = estimate(domain, ms, { iters: 5, method: 'mirror-descent' });
    const refusing = counting({ attach: () => false });
    expect(sameBits(estimate(domain, ms, { iters: 5, method: 'mirror-descent', helper: refusing }), one)).toBe(true);
    const closed = FitHelperThread.start()!;
    await closed.close();
    const afterClose = counting(closed);
    expect(sameBits(estimate(domain, ms, { iters: 5, method: 'mirror-descent', helper: afterClose }), one)).toBe(true);
    expect(afterClose.attached).toBe(0);
    const asked = counting(helper!);
    estimate(domain, ms.slice(0, 20), { iters: 5, method: 'mirror-descent', helper: asked });
    estimate(domain, ms, { iters: 5, helper: asked });
    expect(asked.attached).toBe(0);
  });
});
